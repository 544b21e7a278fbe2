/**
 * `tend lease POOL [--timeout 30s]` and `tend release LEASE`: lease a pool worker through the
 * running controller (leases live in it; without a `tend up` there is nothing to lease).
 * Exit codes: 0 leased / released, 1 timeout, unknown lease or pool, a lease that had already
 * ended, or no controller; 2 bad usage.
 */
import { callApi, controllerRunning } from '../../api/client.ts';
import { LEASE_WAIT } from '../../api/pool-routes.ts';
import { parseDuration } from '../../manifest/normalize.ts';
import type { LeaseView } from '../../model/pool.ts';
import { UsageError, type CliContext } from '../context.ts';
import { printData } from '../render/output.ts';

/** Runs `tend lease`. */
export async function run(ctx: CliContext, values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const name = poolName(positionals[0]);
  const timeout = typeof values.timeout === 'string' ? values.timeout : '30s';
  const waitMs = parseDuration(timeout);
  if (waitMs === undefined) throw new UsageError(`--timeout must be a duration such as 30s (got "${timeout}")`);
  if (!(await controllerRunning(ctx.stateDir))) return noController();
  const path = `/v1/pools/${encodeURIComponent(name)}/leases?timeout=${encodeURIComponent(timeout)}`;
  const { status, body } = await callApi(ctx.stateDir, 'POST', path, Math.min(waitMs, LEASE_WAIT.maxMs) + 10_000);
  if (status !== 200) return fail(body);
  const lease = body as LeaseView;
  if (ctx.output !== 'table') printData(ctx.output, lease);
  else process.stdout.write(`${lease.id}\tworker ${lease.worker?.id ?? '?'} pid ${lease.worker?.pid ?? '?'}${lease.worker?.address ? ` at ${lease.worker.address}` : ''}, expires ${lease.expiresAt ?? 'never'}\n`);
  return 0;
}

/** Runs `tend release`. */
export async function runRelease(ctx: CliContext, positionals: string[]): Promise<number> {
  const id = positionals[0];
  if (!id) throw new UsageError('release needs a lease id (as printed by tend lease)');
  if (!(await controllerRunning(ctx.stateDir))) return noController();
  const { status, body } = await callApi(ctx.stateDir, 'DELETE', `/v1/leases/${encodeURIComponent(id)}`);
  if (status !== 200) return fail(body);
  if (ctx.output !== 'table') printData(ctx.output, (body as { lease: LeaseView }).lease);
  else process.stdout.write(`${id} released\n`);
  return 0;
}

// `pool/render` or a bare `render`.
function poolName(target: string | undefined): string {
  if (!target) throw new UsageError('lease needs a pool, e.g. tend lease pool/render');
  const slash = target.indexOf('/');
  if (slash < 0) return target;
  if (target.slice(0, slash) !== 'pool') throw new UsageError(`lease takes a pool (pool/NAME), got "${target}"`);
  return target.slice(slash + 1);
}

function noController(): number {
  process.stderr.write('tend: leases are served by a running tend up; none answers on this state dir\n');
  return 1;
}

function fail(body: unknown): number {
  process.stderr.write(`tend: ${(body as { error?: string }).error ?? 'request failed'}\n`);
  return 1;
}
