/**
 * The lease routes of the control API:
 *
 *     POST   /v1/pools/NAME/leases[?timeout=30s]  long poll: 200 the lease, 408 nobody free in time,
 *                                                 404 unknown pool, 503 the pool went away meanwhile
 *                                                 or the controller is shutting down
 *     GET    /v1/leases/ID                        200 the lease (waiting, active, released, expired, failed)
 *     DELETE /v1/leases/ID                        200 released; 409 it had already ended (expired,
 *                                                 failed: the body says why); 404 unknown
 *
 * Routes only; the pool manager (controller/pools.ts) answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LeaseView } from '../model/pool.ts';
import type { LeaseOutcome, ReleaseOutcome } from '../controller/pools.ts';
import { parseDuration } from '../manifest/normalize.ts';

export interface PoolHandlers {
  lease(pool: string, waitMs: number, signal: AbortSignal): Promise<LeaseOutcome>;
  get(id: string): LeaseView | undefined;
  release(id: string): ReleaseOutcome;
}

/** Default and longest wait of a lease request. */
export const LEASE_WAIT = { defaultMs: 30_000, maxMs: 3_600_000 } as const;

type Send = (res: ServerResponse, status: number, body: unknown) => void;

/** Serves a lease route; false when the request is not one. */
export async function routePools(pools: PoolHandlers | undefined, req: IncomingMessage, res: ServerResponse, url: URL, send: Send): Promise<boolean> {
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts[1] === 'pools' && parts[3] === 'leases' && parts.length === 4 && req.method === 'POST') {
    if (!pools) return noPools(res, send);
    const wait = waitOf(url.searchParams.get('timeout'));
    if (wait === undefined) return answer(res, send, 400, { error: `timeout must be a duration such as 30s (got "${url.searchParams.get('timeout') ?? ''}")` });
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const outcome = await pools.lease(`pool/${parts[2] ?? ''}`, wait, gone.signal);
    return answer(res, send, ...leaseAnswer(outcome, parts[2] ?? '', wait));
  }
  if (parts[1] !== 'leases' || parts.length !== 3) return false;
  if (!pools) return noPools(res, send);
  const id = parts[2] ?? '';
  if (req.method === 'GET') {
    const lease = pools.get(id);
    return lease ? answer(res, send, 200, lease) : answer(res, send, 404, { error: `unknown lease ${id}` });
  }
  if (req.method !== 'DELETE') return false;
  const released = pools.release(id);
  if (released.kind === 'unknown') return answer(res, send, 404, { error: `unknown lease ${id} (leases do not survive a controller restart)` });
  if (released.kind === 'released') return answer(res, send, 200, { ok: true, lease: released.lease });
  const why = `${released.lease.reason ?? released.lease.state}: ${released.lease.message ?? ''}`;
  return answer(res, send, 409, { error: `lease ${id} had already ended (${why})`, lease: released.lease });
}

function leaseAnswer(outcome: LeaseOutcome, pool: string, waitMs: number): [number, unknown] {
  switch (outcome.kind) {
    case 'granted':
      return [200, outcome.lease];
    case 'timeout':
      return [408, { error: `no worker of pool/${pool} became free within ${waitMs} ms` }];
    case 'unknown-pool':
      return [404, { error: `unknown pool pool/${pool}` }];
    case 'closed':
      return [503, { error: 'the controller is shutting down' }];
    case 'failed':
      return [503, { error: `lease ${outcome.lease.id} ended before it was granted (${outcome.lease.reason ?? ''})`, lease: outcome.lease }];
  }
}

function waitOf(text: string | null): number | undefined {
  if (text === null) return LEASE_WAIT.defaultMs;
  const ms = parseDuration(text);
  return ms === undefined ? undefined : Math.min(ms, LEASE_WAIT.maxMs);
}

function noPools(res: ServerResponse, send: Send): true {
  return answer(res, send, 503, { error: 'this controller serves no leases' });
}

function answer(res: ServerResponse, send: Send, status: number, body: unknown): true {
  send(res, status, body);
  return true;
}
