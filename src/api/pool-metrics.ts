/** The `tend_pool_*` families of `/metrics`, from the pools' `status.pool`. */
import type { ObjectView } from '../controller/status.ts';
import type { PoolStats } from '../model/pool.ts';

/** A metric family as metrics.ts renders it. */
export interface PoolFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly samples: string[];
}

const POOL_METRICS: readonly (readonly [string, PoolFamily['type'], string, (p: PoolStats) => number])[] = [
  ['tend_pool_workers', 'gauge', 'live workers of the pool', (p) => p.workers],
  ['tend_pool_ready_workers', 'gauge', 'Ready workers of the pool', (p) => p.ready],
  ['tend_pool_busy_workers', 'gauge', 'leased workers of the pool', (p) => p.busy],
  ['tend_pool_waiting_requests', 'gauge', 'lease requests waiting for a worker', (p) => p.waiting],
  ['tend_pool_utilization', 'gauge', 'busy / Ready workers', (p) => p.utilization],
  ['tend_pool_desired_replicas', 'gauge', 'worker count the pool planner decided', (p) => p.desiredReplicas],
  ['tend_pool_leases_granted_total', 'counter', 'leases granted', (p) => p.leases.granted],
  ['tend_pool_leases_released_total', 'counter', 'leases released', (p) => p.leases.released],
  ['tend_pool_leases_expired_total', 'counter', 'leases expired at leaseTimeout', (p) => p.leases.expired],
  ['tend_pool_leases_failed_total', 'counter', 'leases ended by the death of their worker or pool', (p) => p.leases.failed],
  ['tend_pool_lease_wait_p50_seconds', 'gauge', 'median wait for a lease (recent leases)', (p) => p.waitMs.p50 / 1000],
  ['tend_pool_lease_wait_p99_seconds', 'gauge', '99th percentile wait for a lease (recent leases)', (p) => p.waitMs.p99 / 1000],
  ['tend_pool_lease_duration_p50_seconds', 'gauge', 'median time a lease was held (recent leases)', (p) => p.leaseDurationMs.p50 / 1000],
  ['tend_pool_lease_duration_p99_seconds', 'gauge', '99th percentile time a lease was held (recent leases)', (p) => p.leaseDurationMs.p99 / 1000],
  ['tend_pool_workers_created_total', 'counter', 'worker processes seen starting', (p) => p.workersCreated],
  ['tend_pool_workers_reaped_total', 'counter', 'workers removed for idleness or low usage', (p) => p.workersReaped],
  ['tend_pool_workers_recycled_total', 'counter', 'workers recycled (lease expired or maxLeasesPerWorker)', (p) => p.workersRecycled],
];

/** One family per pool figure, labelled by `kind` and `name`. */
export function poolFamilies(views: readonly ObjectView[], escape: (value: string) => string): PoolFamily[] {
  const pools = views.filter((v) => v.status.pool !== undefined);
  if (pools.length === 0) return [];
  return POOL_METRICS.map(([name, type, help, value]) => ({
    name,
    type,
    help,
    samples: pools.map((v) => `{kind="${v.kind}",name="${escape(v.name)}"} ${value(v.status.pool as PoolStats)}`),
  }));
}
