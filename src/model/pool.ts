/**
 * ProcessPool types: the pool's normalised policy, leases and the statistics the controller keeps.
 * Plain readonly data; no I/O, no clock.
 */

/** Ports handed to workers: worker `i` gets `TEND_PORT = from + i`. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** A normalised `autoscale`: HPA-style scaling on the workers' average CPU. */
export interface AutoscalePolicy {
  readonly metric: 'cpu' | 'memory';
  /** Target of the metric (percent). */
  readonly target: number;
  readonly stabilizationUpMs: number;
  readonly stabilizationDownMs: number;
}

/** A normalised ProcessPool spec besides its worker template; durations in ms. */
export interface PoolPolicy {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly idleTimeoutMs: number;
  /** 0 = never recycle for the lease count. */
  readonly maxLeasesPerWorker: number;
  readonly leaseTimeoutMs: number;
  readonly autoscale?: AutoscalePolicy;
  readonly ports?: PortRange;
}

/** Where a lease stands: `active` until released, expired, or ended by its worker's death. */
export type LeaseState = 'waiting' | 'active' | 'released' | 'expired' | 'failed' | 'cancelled';

/** A lease as the API and `tend lease -o json` show it. */
export interface LeaseView {
  readonly id: string;
  readonly pool: string;
  readonly state: LeaseState;
  readonly worker: { readonly id: string; readonly pid: number; readonly address: string | null } | null;
  /** The worker's `TEND_PORT`, when the pool has `ports`. */
  readonly port: number | null;
  readonly grantedAt: string | null;
  readonly expiresAt: string | null;
  /** Why the lease ended, when it did not end by a release (e.g. the worker died). */
  readonly reason: string | null;
  readonly message: string | null;
}

/** Lease statistics of one pool (`status.pool` in `get -o json`). */
export interface PoolStats {
  readonly workers: number;
  readonly ready: number;
  readonly busy: number;
  readonly waiting: number;
  /** busy / ready (0 when none is ready). */
  readonly utilization: number;
  readonly leases: {
    readonly granted: number;
    readonly released: number;
    readonly expired: number;
    readonly failed: number;
    readonly active: number;
  };
  readonly waitMs: { readonly p50: number; readonly p99: number };
  readonly leaseDurationMs: { readonly p50: number; readonly p99: number };
  readonly workersCreated: number;
  readonly workersReaped: number;
  readonly workersRecycled: number;
  /** The replica count the pool planner decided last, and why. */
  readonly desiredReplicas: number;
  readonly lastScaleReason: string | null;
}
