/**
 * The controller's side of ProcessPools: one lease book per pool, the long-poll waiters behind
 * `POST /v1/pools/NAME/leases`, and the replica count each pool's Process-like object runs with.
 *
 * Owns: applying the pure transitions of planner/lease-book.ts and planner/pool.ts as workers
 * start, become Ready and exit, as leases are asked for and released, and as deadlines (lease
 * expiry, idle timeout, the autoscale tick) pass; recording an event for every scaling decision,
 * expiry, failed lease and recycle; enqueueing the pool's key when its replicas or recycle list
 * change, so the ordinary reconcile starts and stops workers.
 * Must not: start or stop processes itself, or read the clock other than through `clock`.
 * Leases live in this process only: they do not survive a controller restart (workers are adopted
 * and come back idle; a client holding a lease from before gets 404 for it).
 */
import { randomBytes } from 'node:crypto';
import type { EventSink } from '../model/event.ts';
import type { HealthSource } from '../model/health.ts';
import type { Observed, ObservedInstance } from '../model/instance.ts';
import { isProcessObject, type ManifestObject, type ObjectKey, type ProcessObject } from '../model/object.ts';
import type { LeaseView, PoolStats } from '../model/pool.ts';
import type { ResourceUsage } from '../model/usage.ts';
import type { Clock } from '../platform/clock.ts';
import { NO_HEALTH } from '../planner/health.ts';
import { isInstanceReady } from '../planner/phase.ts';
import {
  cancelRequest, emptyBook, expireLeases, failAll, grantWaiting, keepReaping, markReaped, nextExpiry, observeWorkers, releaseLease, requestLease,
  type Lease, type LeaseBook, type WorkerObservation,
} from '../planner/lease-book.ts';
import { decideReplicas, type Recommendation } from '../planner/pool.ts';
import { leaseView, poolStats } from './pool-views.ts';

export interface PoolManagerOptions {
  readonly clock: Clock;
  readonly events: EventSink;
  readonly observe: () => Promise<Observed>;
  /** The desired objects as the manifests say (replicas at minReplicas). */
  readonly objects: () => ReadonlyMap<ObjectKey, ManifestObject>;
  /** Asks for a reconcile of `key`. */
  readonly enqueue: (key: ObjectKey) => void;
  readonly health?: HealthSource;
  /** The latest sample of a worker, for `autoscale`. */
  readonly usage?: (instance: ObservedInstance) => ResourceUsage | undefined;
}

/** What a lease request came to. */
export type LeaseOutcome =
  | { readonly kind: 'granted'; readonly lease: LeaseView }
  | { readonly kind: 'timeout' | 'unknown-pool' | 'closed' }
  | { readonly kind: 'failed'; readonly lease: LeaseView };

/** What a release came to: `released`, or the lease as it ended before (expired, failed). */
export type ReleaseOutcome = { readonly kind: 'released' | 'ended'; readonly lease: LeaseView } | { readonly kind: 'unknown' };

export interface PoolManager {
  /** `objects` with every pool's replicas and recycle list as decided now (cached while unchanged). */
  effective(objects: ReadonlyMap<ObjectKey, ManifestObject>): ReadonlyMap<ObjectKey, ManifestObject>;
  /** Leases an idle Ready worker of `pool` (`pool/NAME`), waiting up to `waitMs` in arrival order. */
  lease(pool: ObjectKey, waitMs: number, signal?: AbortSignal): Promise<LeaseOutcome>;
  release(id: string): ReleaseOutcome;
  /** A lease by id (waiting, active, or recently ended). */
  get(id: string): LeaseView | undefined;
  stats(pool: ObjectKey): PoolStats | undefined;
  /** The manifests changed: look at every pool again. */
  desiredChanged(): void;
  /** Instances of `key` changed (started, exited, health): look at it again when it is a pool. */
  changed(key: ObjectKey): void;
  close(): void;
}

interface PoolState {
  book: LeaseBook;
  replicas: number;
  recommendations: readonly Recommendation[];
  lastReason?: string;
  cancelTimer?: () => void;
}

interface Waiter {
  readonly pool: ObjectKey;
  resolve(outcome: LeaseOutcome): void;
  cancelTimeout(): void;
}

/** Size of the lease id index at which ids of forgotten leases are dropped from it. */
const INDEX_PRUNE_AT = 4096;

/** How often an autoscaled pool looks at its workers' usage. */
const AUTOSCALE_TICK_MS = 1_000;

/** Creates the pool manager; it subscribes to the health source for readiness changes. */
export function createPoolManager(options: PoolManagerOptions): PoolManager {
  const { clock, events } = options;
  const states = new Map<ObjectKey, PoolState>();
  const waiters = new Map<string, Waiter>();
  const leaseIndex = new Map<string, ObjectKey>();
  const scheduled = new Set<ObjectKey>();
  const syncing = new Set<ObjectKey>();
  let version = 0;
  let cache: { input: ReadonlyMap<ObjectKey, ManifestObject>; version: number; output: ReadonlyMap<ObjectKey, ManifestObject> } | undefined;
  let closed = false;

  const poolOf = (key: ObjectKey): ProcessObject | undefined => {
    const object = options.objects().get(key);
    return object && isProcessObject(object) && object.pool ? object : undefined;
  };
  const stateOf = (key: ObjectKey, object: ProcessObject): PoolState => {
    let state = states.get(key);
    if (!state) {
      state = { book: emptyBook(), replicas: object.pool?.minReplicas ?? 1, recommendations: [] };
      states.set(key, state);
    }
    return state;
  };

  // Coalesces work per pool: one sync at a time, another one after it when asked meanwhile.
  const schedule = (key: ObjectKey): void => {
    if (closed || !key.startsWith('pool/') || scheduled.has(key)) return;
    scheduled.add(key);
    if (!syncing.has(key)) clock.after(0, () => void run(key));
  };
  const run = async (key: ObjectKey): Promise<void> => {
    if (syncing.has(key)) return;
    scheduled.delete(key);
    syncing.add(key);
    try {
      await sync(key);
    } finally {
      syncing.delete(key);
      if (scheduled.has(key) && !closed) clock.after(0, () => void run(key));
    }
  };

  // Observe, fail/expire, grant, decide the replica count, arm the next deadline.
  const sync = async (key: ObjectKey): Promise<void> => {
    const object = poolOf(key);
    if (!object) return dropPool(key);
    const observed = await options.observe();
    if (closed) return;
    const state = stateOf(key, object);
    const now = clock.now();
    const instances = observed.get(key) ?? [];
    const seen = observeWorkers(state.book, workersOf(object, instances), now);
    for (const lease of seen.failed) endEvent(key, lease, 'LeaseFailed');
    const expired = expireLeases(seen.book, now);
    for (const lease of expired.expired) endEvent(key, lease, 'LeaseExpired');
    state.book = expired.book;
    settle(key, state, object);
    grant(key, state, object, now);
    decide(key, state, object, instances, now);
    arm(key, state, object, now);
  };

  const workersOf = (object: ProcessObject, instances: readonly ObservedInstance[]): WorkerObservation[] => {
    const health = options.health?.health().get(object.key) ?? NO_HEALTH;
    const workers: WorkerObservation[] = [];
    for (const i of instances) {
      if (i.fallback || (i.state !== 'running' && i.state !== 'starting')) continue;
      workers.push({ id: i.id, replica: i.replica, pid: i.pid, ready: i.specHash === object.specHash && isInstanceReady(object, i, health) });
    }
    return workers;
  };

  // Waiters whose lease ended while they waited (the pool went away) hear of it.
  const settle = (key: ObjectKey, state: PoolState, object: ProcessObject | undefined): void => {
    for (const [id, waiter] of waiters) {
      const lease = state.book.leases.get(id);
      if (waiter.pool !== key || !lease || lease.state === 'waiting') continue;
      finishWaiter(id, lease.state === 'active' ? { kind: 'granted', lease: leaseView(key, lease, object?.pool) } : { kind: 'failed', lease: leaseView(key, lease, object?.pool) });
    }
  };

  const grant = (key: ObjectKey, state: PoolState, object: ProcessObject, now: number): void => {
    const { book, granted } = grantWaiting(state.book, object.pool?.leaseTimeoutMs ?? Infinity, now);
    state.book = book;
    for (const lease of granted) finishWaiter(lease.id, { kind: 'granted', lease: leaseView(key, lease, object.pool) });
  };

  const decide = (key: ObjectKey, state: PoolState, object: ProcessObject, instances: readonly ObservedInstance[], now: number): void => {
    const policy = object.pool;
    if (!policy) return;
    const usage = policy.autoscale ? averageCpu(state.book, instances, options.usage) : undefined;
    const recycles = state.book.recycle.join(',');
    const decision = decideReplicas({ policy, current: state.replicas, book: state.book, recommendations: state.recommendations, now, ...(usage === undefined ? {} : { usage }) });
    state.recommendations = decision.recommendations;
    state.book = keepReaping(markReaped(state.book, decision.reaped), decision.replicas);
    const scaled = decision.replicas !== state.replicas;
    if (scaled) {
      events.record({ object: key, type: 'Normal', reason: decision.reason ?? 'PoolScaled', message: decision.message ?? `${state.replicas} -> ${decision.replicas} workers` });
      state.replicas = decision.replicas;
      state.lastReason = decision.reason ?? 'PoolScaled';
    }
    if (scaled || recycles !== (lastRecycles.get(key) ?? '')) {
      lastRecycles.set(key, recycles);
      version++;
      options.enqueue(key);
    }
  };
  const lastRecycles = new Map<ObjectKey, string>();

  // The next time something is due: a lease expiry, an idle worker's timeout, the autoscale tick.
  const arm = (key: ObjectKey, state: PoolState, object: ProcessObject, now: number): void => {
    state.cancelTimer?.();
    const policy = object.pool;
    let at = nextExpiry(state.book);
    if (policy && state.replicas > policy.minReplicas) {
      for (const w of state.book.workers.values()) {
        if (w.idleSince !== undefined && w.lease === undefined) at = Math.min(at ?? Infinity, w.idleSince + policy.idleTimeoutMs);
      }
    }
    if (policy?.autoscale) at = Math.min(at ?? Infinity, now + AUTOSCALE_TICK_MS);
    if (at === undefined) {
      delete state.cancelTimer;
      return;
    }
    state.cancelTimer = clock.after(Math.max(0, at - now), () => schedule(key));
  };

  const dropPool = (key: ObjectKey): void => {
    const state = states.get(key);
    if (!state) return;
    state.cancelTimer?.();
    state.book = failAll(state.book, 'PoolDeleted', `${key} is gone from the manifests`, clock.now()).book;
    settle(key, state, undefined);
    states.delete(key);
    version++;
  };

  const finishWaiter = (id: string, outcome: LeaseOutcome): void => {
    const waiter = waiters.get(id);
    if (!waiter) return;
    waiters.delete(id);
    waiter.cancelTimeout();
    waiter.resolve(outcome);
  };

  const endEvent = (key: ObjectKey, lease: Lease, reason: string): void => {
    events.record({ object: key, ...(lease.worker ? { instance: lease.worker.id } : {}), type: 'Warning', reason, message: `lease ${lease.id}: ${lease.message ?? lease.state}` });
  };

  // Lease ids the books have forgotten (only the last ended ones are kept) leave the index.
  const pruneIndex = (): void => {
    for (const [id, key] of leaseIndex) if (!states.get(key)?.book.leases.has(id)) leaseIndex.delete(id);
  };

  const unsubscribe = options.health?.subscribe(schedule);

  return {
    effective(objects) {
      if (states.size === 0) return objects;
      if (cache?.input === objects && cache.version === version) return cache.output;
      const output = new Map(objects);
      for (const [key, state] of states) {
        const object = objects.get(key);
        if (!object || !isProcessObject(object) || !object.pool) continue;
        const recycle = state.book.recycle;
        output.set(key, { ...object, spec: { ...object.spec, replicas: state.replicas }, ...(recycle.length ? { recycle } : {}) });
      }
      cache = { input: objects, version, output };
      return output;
    },
    lease(pool, waitMs, signal) {
      const object = poolOf(pool);
      if (closed) return Promise.resolve({ kind: 'closed' });
      if (!object) return Promise.resolve({ kind: 'unknown-pool' });
      const state = stateOf(pool, object);
      const id = newLeaseId();
      if (leaseIndex.size >= INDEX_PRUNE_AT) pruneIndex();
      leaseIndex.set(id, pool);
      state.book = requestLease(state.book, id, clock.now());
      return new Promise<LeaseOutcome>((resolve) => {
        const giveUp = (): void => {
          state.book = cancelRequest(state.book, id, clock.now());
          finishWaiter(id, { kind: 'timeout' });
        };
        const cancelTimer = clock.after(waitMs, giveUp);
        signal?.addEventListener('abort', giveUp);
        const cancelTimeout = (): void => {
          cancelTimer();
          signal?.removeEventListener('abort', giveUp);
        };
        waiters.set(id, { pool, resolve, cancelTimeout });
        grant(pool, state, object, clock.now());
        if (waiters.has(id)) schedule(pool);
        else arm(pool, state, object, clock.now());
      });
    },
    release(id) {
      const key = leaseIndex.get(id);
      const state = key === undefined ? undefined : states.get(key);
      const object = key === undefined ? undefined : poolOf(key);
      if (key === undefined || !state) return { kind: 'unknown' };
      const before = state.book.leases.get(id);
      if (!before) return { kind: 'unknown' };
      if (before.state !== 'active') return { kind: 'ended', lease: leaseView(key, before, object?.pool) };
      const result = releaseLease(state.book, id, object?.pool?.maxLeasesPerWorker ?? 0, clock.now());
      state.book = result.book;
      const view = leaseView(key, result.lease ?? before, object?.pool);
      if (result.recycled && before.worker) {
        events.record({ object: key, instance: before.worker.id, type: 'Normal', reason: 'WorkerRecycled', message: `${before.worker.id} served ${object?.pool?.maxLeasesPerWorker ?? 0} leases: recycled` });
      }
      if (object) grant(key, state, object, clock.now());
      schedule(key);
      return { kind: 'released', lease: view };
    },
    get(id) {
      const key = leaseIndex.get(id);
      const lease = key === undefined ? undefined : states.get(key)?.book.leases.get(id);
      return key === undefined || !lease ? undefined : leaseView(key, lease, poolOf(key)?.pool);
    },
    stats(pool) {
      const state = states.get(pool);
      return state ? poolStats(state.book, state.replicas, state.lastReason) : undefined;
    },
    desiredChanged() {
      for (const key of options.objects().keys()) schedule(key);
      for (const key of states.keys()) schedule(key);
    },
    close() {
      closed = true;
      unsubscribe?.();
      for (const state of states.values()) state.cancelTimer?.();
      for (const id of [...waiters.keys()]) finishWaiter(id, { kind: 'closed' });
    },
    changed: schedule,
  };
}

// Average CPU (percent of one core) of the Ready workers that have been sampled.
function averageCpu(book: LeaseBook, instances: readonly ObservedInstance[], usageOf: PoolManagerOptions['usage']): number | undefined {
  if (!usageOf) return undefined;
  let sum = 0;
  let n = 0;
  for (const i of instances) {
    if (!book.workers.get(i.id)?.ready || book.workers.get(i.id)?.pid !== i.pid) continue;
    const usage = usageOf(i);
    if (usage === undefined) continue;
    sum += usage.cpu;
    n++;
  }
  return n === 0 ? undefined : sum / n;
}

function newLeaseId(): string {
  return `lease-${randomBytes(6).toString('hex')}`;
}
