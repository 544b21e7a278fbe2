/**
 * How leases and pool statistics are shown (API, `tend lease -o json`, `status.pool`). Pure.
 * Field names here are a contract (SPEC §2): add freely, rename none.
 */
import type { LeaseView, PoolPolicy, PoolStats } from '../model/pool.ts';
import { percentile, type Lease, type LeaseBook } from '../planner/lease-book.ts';

/** A lease as clients see it; `address` is `127.0.0.1:PORT` when the pool hands out ports. */
export function leaseView(pool: string, lease: Lease, policy: PoolPolicy | undefined): LeaseView {
  const port = lease.worker && policy?.ports ? policy.ports.from + lease.worker.replica : null;
  return {
    id: lease.id,
    pool,
    state: lease.state,
    worker: lease.worker ? { id: lease.worker.id, pid: lease.worker.pid, address: port === null ? null : `127.0.0.1:${port}` } : null,
    port,
    grantedAt: iso(lease.grantedAt),
    expiresAt: iso(lease.expiresAt),
    reason: lease.reason ?? null,
    message: lease.message ?? null,
  };
}

/** The statistics of one pool from its book. */
export function poolStats(book: LeaseBook, replicas: number, lastScaleReason: string | undefined): PoolStats {
  let ready = 0;
  let busy = 0;
  for (const w of book.workers.values()) {
    if (w.ready) ready++;
    if (w.lease !== undefined) busy++;
  }
  const c = book.counters;
  let active = 0;
  for (const lease of book.leases.values()) if (lease.state === 'active') active++;
  return {
    workers: book.workers.size,
    ready,
    busy,
    waiting: book.waiting.length,
    utilization: ready === 0 ? 0 : Math.round((busy / ready) * 1000) / 1000,
    leases: { granted: c.granted, released: c.released, expired: c.expired, failed: c.failed, active },
    waitMs: { p50: percentile(c.waitMs, 0.5), p99: percentile(c.waitMs, 0.99) },
    leaseDurationMs: { p50: percentile(c.durationMs, 0.5), p99: percentile(c.durationMs, 0.99) },
    workersCreated: c.workersCreated,
    workersReaped: c.workersReaped,
    workersRecycled: c.workersRecycled,
    desiredReplicas: replicas,
    lastScaleReason: lastScaleReason ?? null,
  };
}

function iso(at: number | undefined): string | null {
  return at === undefined ? null : new Date(at).toISOString();
}
