/**
 * What a browser may reach and from where. The dashboard's page and scripts carry no data and are
 * served without the token (a browser cannot send a bearer header when it opens a URL); every
 * data and action route needs the token, which the page sends as a header, never as a cookie.
 * A request another site's page makes (its Origin is not this server) is refused outright.
 *
 * Owns: the public paths and the cross-site check. Must not: read the token or answer requests.
 */
import type { IncomingMessage } from 'node:http';

/** The dashboard's static files: public, since they hold no data. */
export function isPublicAsset(method: string | undefined, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return path === '/' || path === '/index.html' || /^\/dashboard\/[A-Za-z0-9._-]+$/.test(path);
}

/**
 * Why a request must be refused as cross-site, or undefined when it may go on. Requests from the
 * CLI carry no Origin; a browser's carry one, which must be this server's own.
 */
export function crossSiteRefusal(req: IncomingMessage): string | undefined {
  if (req.headers['sec-fetch-site'] === 'cross-site') return 'cross-site request refused';
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const host = req.headers.host;
  if (!host) return 'request without a Host header refused';
  return origin === `http://${host}` ? undefined : `request from origin ${origin} refused (this is http://${host})`;
}
