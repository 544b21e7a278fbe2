/** How `describe` shows a pool's lease statistics. */
import type { PoolStats } from '../../model/pool.ts';

/** The `Pool:` lines of `tend describe pool/NAME`. */
export function poolLines(pool: PoolStats): string[] {
  const l = pool.leases;
  return [
    `Pool:         ${pool.workers} workers (${pool.ready} ready, ${pool.busy} busy, ${pool.waiting} waiting), utilization ${Math.round(pool.utilization * 100)}%, desired ${pool.desiredReplicas}${pool.lastScaleReason ? ` (last scaled: ${pool.lastScaleReason})` : ''}`,
    `Leases:       ${l.granted} granted, ${l.released} released, ${l.expired} expired, ${l.failed} failed, ${l.active} active; wait p50 ${pool.waitMs.p50} ms p99 ${pool.waitMs.p99} ms; held p50 ${pool.leaseDurationMs.p50} ms p99 ${pool.leaseDurationMs.p99} ms`,
    `Workers:      ${pool.workersCreated} created, ${pool.workersReaped} reaped, ${pool.workersRecycled} recycled`,
  ];
}
