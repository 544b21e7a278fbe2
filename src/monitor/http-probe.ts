/** The `http` probe: a GET whose status is 200-399 is success; the body is discarded. */
import { request as httpRequest } from 'node:http';
import type { Clock } from '../platform/clock.ts';
import { settleWithin, type ProbeOutcome } from './probe-outcome.ts';

/** The roots an https probe trusts, when not Node's own (`ca` as node:tls takes it). */
export type TlsTrust = () => { readonly ca?: readonly string[] };

/** GETs `url` with `headers`; fails on an error status, a connection error or after `timeoutMs`. */
export function probeHttp(clock: Clock, url: string, headers: Readonly<Record<string, string>>, timeoutMs: number, trust?: TlsTrust): Promise<ProbeOutcome> {
  return settleWithin(clock, timeoutMs, (settle) => {
    const https = url.startsWith('https:');
    const request = (https ? httpsRequestOf() : httpRequest)(url, { method: 'GET', headers: { ...headers }, ...(https ? trust?.() : undefined) }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      settle({ ok: status >= 200 && status < 400, message: `HTTP ${status} from ${url}` });
    });
    request.once('error', (error) => settle({ ok: false, message: `GET ${url}: ${error.message}` }));
    request.end();
    return () => request.destroy();
  });
}

// node:https (and TLS under it) is loaded at the first https probe: about 20 ms of every
// controller start otherwise, and most probes are plain http on the loopback.
function httpsRequestOf(): typeof httpRequest {
  return process.getBuiltinModule('node:https').request;
}
