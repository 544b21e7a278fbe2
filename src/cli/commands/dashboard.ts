/**
 * `tend dashboard`: serves the running controller's web dashboard on 127.0.0.1 for the local user
 * and prints its URL. A small proxy to the control socket with a random token of its own (in the
 * URL's fragment, so it never reaches a server log or a Referer): other local users, who cannot
 * open the socket, cannot use the proxy either. Runs until SIGINT/SIGTERM.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { controllerRunning } from '../../api/client.ts';
import { crossSiteRefusal, isPublicAsset } from '../../api/browser-guard.ts';
import { socketPath } from '../../api/server.ts';
import { UsageError, type CliContext } from '../context.ts';

/** Headers passed on to the controller; the rest (Authorization, Origin, Host, cookies) stay here. */
const FORWARDED = ['accept', 'content-type', 'content-length', 'last-event-id'];

/** Runs `tend dashboard`. */
export async function run(ctx: CliContext, values: Record<string, unknown>): Promise<number> {
  const port = Number(values.port ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes a port number 0-65535 (got "${String(values.port)}")`);
  if (!(await controllerRunning(ctx.stateDir))) {
    process.stderr.write(`tend: no controller answers on ${socketPath(ctx.stateDir)}; start one with tend up -d ${ctx.dir}\n`);
    return 1;
  }
  const token = randomBytes(24).toString('hex');
  const expected = Buffer.from(`Bearer ${token}`);
  const server = createServer((req, res) => {
    const refusal = crossSiteRefusal(req);
    if (refusal) return refuse(res, 403, refusal);
    const path = new URL(req.url ?? '/', 'http://tend').pathname;
    const given = Buffer.from(req.headers.authorization ?? '');
    const allowed = isPublicAsset(req.method, path) || (given.length === expected.length && timingSafeEqual(given, expected));
    if (!allowed) return refuse(res, 401, 'missing or wrong token (open the URL tend dashboard printed)');
    forward(ctx.stateDir, req, res);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  process.stdout.write(`tend dashboard: http://127.0.0.1:${bound}/#token=${token}\n`);
  process.stderr.write('tend: serving the dashboard of the controller; Ctrl-C to stop\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  return 0;
}

// Streams the request to the control socket and the answer back (event streams included).
function forward(stateDir: string, req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string | string[]> = {};
  for (const name of FORWARDED) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const upstream = request({ socketPath: socketPath(stateDir), method: req.method, path: req.url, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', (error) => refuse(res, 502, `controller did not answer: ${error.message}`));
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
}

function refuse(res: ServerResponse, status: number, error: string): void {
  if (res.headersSent) return void res.end();
  const body = JSON.stringify({ error });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
