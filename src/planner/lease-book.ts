/**
 * The lease book of one ProcessPool: which worker is leased by whom, who waits (in arrival order),
 * which workers are due for recycling, and the counters behind the pool's statistics.
 *
 * Owns: lease bookkeeping as pure transitions `(book, ..., now) -> book`. Every function returns a
 * new book and leaves its input alone; the controller (`controller/pools.ts`) holds the current one.
 * Must not: do I/O, read the clock (`now` is an input) or decide the replica count (pool.ts does).
 *
 * Lease timeline:
 *
 *     request ──> waiting ──grant (idle Ready worker, FIFO)──> active ──release──> released
 *                    │                                           ├──leaseTimeout──> expired (worker recycled)
 *                    └──timeout / client gone──> cancelled       └──worker died──> failed (reason)
 */

/** A worker as the controller observes it; only live ones (running or starting) are passed in. */
export interface WorkerObservation {
  readonly id: string;
  readonly replica: number;
  readonly pid: number;
  /** Running, past its hooks, and Ready (readiness probe) on the current spec. */
  readonly ready: boolean;
}

/** What the book knows of one worker process (a recycled worker is a new pid, a new record). */
export interface WorkerRecord {
  readonly id: string;
  readonly replica: number;
  readonly pid: number;
  readonly ready: boolean;
  /** Lease holding it. */
  readonly lease?: string;
  /** When it last became idle (Ready for the first time, or released); undefined before Ready. */
  readonly idleSince?: number;
  /** Leases this process has served. */
  readonly served: number;
}

/** One lease, from request to end. */
export interface Lease {
  readonly id: string;
  readonly state: 'waiting' | 'active' | 'released' | 'expired' | 'failed' | 'cancelled';
  readonly requestedAt: number;
  readonly worker?: { readonly id: string; readonly replica: number; readonly pid: number };
  readonly grantedAt?: number;
  readonly expiresAt?: number;
  readonly endedAt?: number;
  /** Why it ended other than by release: `LeaseExpired`, `WorkerDied`, `PoolDeleted`, `Cancelled`. */
  readonly reason?: string;
  readonly message?: string;
}

/** Counters and recent samples behind the pool statistics. */
export interface LeaseCounters {
  readonly granted: number;
  readonly released: number;
  readonly expired: number;
  readonly failed: number;
  readonly workersCreated: number;
  readonly workersReaped: number;
  readonly workersRecycled: number;
  /** The last {@link SAMPLES} waits and lease durations, in ms. */
  readonly waitMs: readonly number[];
  readonly durationMs: readonly number[];
}

export interface LeaseBook {
  /** Live workers by instance id. */
  readonly workers: ReadonlyMap<string, WorkerRecord>;
  /** Every lease not yet forgotten: the waiting and active ones, and the last ended ones. */
  readonly leases: ReadonlyMap<string, Lease>;
  /** Waiting lease ids, oldest first. */
  readonly waiting: readonly string[];
  /** Pids of workers to recycle (stop, start fresh); each leaves the list once its process is gone. */
  readonly recycle: readonly number[];
  /** Worker ids decided to be reaped: no longer leasable. */
  readonly reaping: readonly string[];
  readonly counters: LeaseCounters;
}

/** How many recent waits and durations the statistics keep. */
export const SAMPLES = 1024;
/** How many ended leases stay queryable (`GET /v1/leases/ID`). */
export const ENDED_KEPT = 256;

/** An empty book. */
export function emptyBook(): LeaseBook {
  const counters: LeaseCounters = { granted: 0, released: 0, expired: 0, failed: 0, workersCreated: 0, workersReaped: 0, workersRecycled: 0, waitMs: [], durationMs: [] };
  return { workers: new Map(), leases: new Map(), waiting: [], recycle: [], reaping: [], counters };
}

/** A lease request joins the end of the queue. */
export function requestLease(book: LeaseBook, id: string, now: number): LeaseBook {
  const leases = new Map(book.leases).set(id, { id, state: 'waiting', requestedAt: now });
  return { ...book, leases, waiting: [...book.waiting, id] };
}

/** A waiting request given up (timeout, client gone); an active or ended lease is left alone. */
export function cancelRequest(book: LeaseBook, id: string, now: number): LeaseBook {
  const lease = book.leases.get(id);
  if (lease?.state !== 'waiting') return book;
  const leases = new Map(book.leases).set(id, { ...lease, state: 'cancelled', endedAt: now, reason: 'Cancelled', message: 'the request gave up waiting' });
  return { ...book, leases, waiting: book.waiting.filter((w) => w !== id) };
}

/**
 * Takes in what runs now: new worker processes are recorded (idle from when they are first Ready);
 * a leased worker whose process is gone or replaced fails its lease (`WorkerDied`); recycle and reap
 * marks of processes that are gone are dropped.
 */
export function observeWorkers(book: LeaseBook, observed: readonly WorkerObservation[], now: number): { book: LeaseBook; failed: readonly Lease[] } {
  const workers = new Map<string, WorkerRecord>();
  let created = 0;
  for (const o of observed) {
    const before = book.workers.get(o.id);
    const same = before?.pid === o.pid ? before : undefined;
    if (!same) created++;
    const idleSince = same?.idleSince ?? (o.ready ? now : undefined);
    const record: WorkerRecord = { id: o.id, replica: o.replica, pid: o.pid, ready: o.ready, served: same?.served ?? 0 };
    workers.set(o.id, withOptional(record, same?.lease, idleSince));
  }
  let next: LeaseBook = { ...book, workers, counters: { ...book.counters, workersCreated: book.counters.workersCreated + created } };
  const failed: Lease[] = [];
  for (const lease of book.leases.values()) {
    if (lease.state !== 'active' || !lease.worker) continue;
    if (workers.get(lease.worker.id)?.pid === lease.worker.pid) continue;
    const ended = endLease(next, lease.id, 'failed', now, 'WorkerDied', `worker ${lease.worker.id} (pid ${lease.worker.pid}) ended while leased`);
    next = ended.book;
    if (ended.lease) failed.push(ended.lease);
  }
  const pids = new Set(observed.map((o) => o.pid));
  const ids = new Set(observed.map((o) => o.id));
  return { book: { ...next, recycle: next.recycle.filter((p) => pids.has(p)), reaping: next.reaping.filter((id) => ids.has(id)) }, failed };
}

function withOptional(record: WorkerRecord, lease: string | undefined, idleSince: number | undefined): WorkerRecord {
  return { ...record, ...(lease === undefined ? {} : { lease }), ...(idleSince === undefined || lease !== undefined ? {} : { idleSince }) };
}

/** Whether a worker can be handed out now: Ready, not leased, not being recycled or reaped. */
export function isIdle(book: LeaseBook, worker: WorkerRecord): boolean {
  return worker.ready && worker.lease === undefined && !book.recycle.includes(worker.pid) && !book.reaping.includes(worker.id);
}

/** Hands idle Ready workers (lowest replica first) to waiting requests in arrival order. */
export function grantWaiting(book: LeaseBook, leaseTimeoutMs: number, now: number): { book: LeaseBook; granted: readonly Lease[] } {
  if (book.waiting.length === 0) return { book, granted: [] };
  const idle = [...book.workers.values()].filter((w) => isIdle(book, w)).sort((a, b) => a.replica - b.replica);
  if (idle.length === 0) return { book, granted: [] };
  const leases = new Map(book.leases);
  const workers = new Map(book.workers);
  const granted: Lease[] = [];
  const waitMs = [...book.counters.waitMs];
  for (const worker of idle) {
    const id = book.waiting[granted.length];
    const request = id === undefined ? undefined : leases.get(id);
    if (!request) break;
    const lease: Lease = { ...request, state: 'active', worker: { id: worker.id, replica: worker.replica, pid: worker.pid }, grantedAt: now, expiresAt: now + leaseTimeoutMs };
    leases.set(lease.id, lease);
    const { idleSince: _idle, ...busy } = worker;
    workers.set(worker.id, { ...busy, lease: lease.id });
    granted.push(lease);
    pushSample(waitMs, now - request.requestedAt);
  }
  const counters = { ...book.counters, granted: book.counters.granted + granted.length, waitMs };
  return { book: { ...book, leases, workers, waiting: book.waiting.slice(granted.length), counters }, granted };
}

/**
 * Ends an active lease by release. The worker is idle again, or recycled once it has served
 * `maxLeasesPerWorker` leases (0 = never). A lease that already ended comes back unchanged, so the
 * caller can tell the client why (expired, failed).
 */
export function releaseLease(book: LeaseBook, id: string, maxLeasesPerWorker: number, now: number): { book: LeaseBook; lease?: Lease; recycled: boolean } {
  const lease = book.leases.get(id);
  if (lease?.state !== 'active') return { book, ...(lease ? { lease } : {}), recycled: false };
  const ended = endLease(book, id, 'released', now);
  const worker = lease.worker ? ended.book.workers.get(lease.worker.id) : undefined;
  if (!worker || worker.pid !== lease.worker?.pid) return { ...ended, recycled: false };
  const served = worker.served + 1;
  const recycled = maxLeasesPerWorker > 0 && served >= maxLeasesPerWorker;
  const workers = new Map(ended.book.workers).set(worker.id, { ...worker, served, idleSince: now });
  const next = { ...ended.book, workers };
  return { book: recycled ? markRecycle(next, worker.pid) : next, ...(ended.lease ? { lease: ended.lease } : {}), recycled };
}

/** Active leases past their `expiresAt` end as `expired`; each one's worker is recycled. */
export function expireLeases(book: LeaseBook, now: number): { book: LeaseBook; expired: readonly Lease[] } {
  let next = book;
  const expired: Lease[] = [];
  for (const lease of book.leases.values()) {
    if (lease.state !== 'active' || lease.expiresAt === undefined || lease.expiresAt > now) continue;
    const ended = endLease(next, lease.id, 'expired', now, 'LeaseExpired', `lease not released within the lease timeout; worker ${lease.worker?.id ?? '?'} is recycled`);
    next = lease.worker ? markRecycle(ended.book, lease.worker.pid) : ended.book;
    if (ended.lease) expired.push(ended.lease);
  }
  return { book: next, expired };
}

/** Every waiting and active lease ends as failed with `reason` (the pool went away). */
export function failAll(book: LeaseBook, reason: string, message: string, now: number): { book: LeaseBook; ended: readonly Lease[] } {
  let next = book;
  const ended: Lease[] = [];
  for (const lease of book.leases.values()) {
    if (lease.state !== 'active' && lease.state !== 'waiting') continue;
    const result = endLease(next, lease.id, 'failed', now, reason, message);
    next = result.book;
    if (result.lease) ended.push(result.lease);
  }
  return { book: { ...next, waiting: [] }, ended };
}

/** Marks workers as being reaped (no longer leasable) and counts them. */
export function markReaped(book: LeaseBook, ids: readonly string[]): LeaseBook {
  if (ids.length === 0) return book;
  const counters = { ...book.counters, workersReaped: book.counters.workersReaped + ids.length };
  return { ...book, reaping: [...book.reaping, ...ids], counters };
}

/** Keeps reap marks only for workers at or above `replicas` (a pool that grew again keeps its slots). */
export function keepReaping(book: LeaseBook, replicas: number): LeaseBook {
  const reaping = book.reaping.filter((id) => (book.workers.get(id)?.replica ?? replicas) >= replicas);
  return reaping.length === book.reaping.length ? book : { ...book, reaping };
}

/** The earliest active lease expiry, if any. */
export function nextExpiry(book: LeaseBook): number | undefined {
  let at: number | undefined;
  for (const lease of book.leases.values()) {
    if (lease.state === 'active' && lease.expiresAt !== undefined) at = Math.min(at ?? Infinity, lease.expiresAt);
  }
  return at;
}

function markRecycle(book: LeaseBook, pid: number): LeaseBook {
  if (book.recycle.includes(pid)) return book;
  return { ...book, recycle: [...book.recycle, pid], counters: { ...book.counters, workersRecycled: book.counters.workersRecycled + 1 } };
}

// Ends lease `id` in `state`: its worker is free, counters and samples move, old ended leases go.
function endLease(book: LeaseBook, id: string, state: 'released' | 'expired' | 'failed', now: number, reason?: string, message?: string): { book: LeaseBook; lease?: Lease } {
  const before = book.leases.get(id);
  if (!before) return { book };
  const lease: Lease = { ...before, state, endedAt: now, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
  const leases = new Map(book.leases).set(id, lease);
  forgetOldest(leases);
  const workers = new Map(book.workers);
  const worker = before.worker ? workers.get(before.worker.id) : undefined;
  if (worker?.lease === id) {
    const { lease: _lease, ...free } = worker;
    workers.set(worker.id, { ...free, idleSince: now });
  }
  const c = book.counters;
  const durationMs = before.grantedAt === undefined ? c.durationMs : pushSample([...c.durationMs], now - before.grantedAt);
  const counters = { ...c, [state]: c[state] + 1, durationMs };
  return { book: { ...book, leases, workers, waiting: book.waiting.filter((w) => w !== id), counters }, lease };
}

// Keeps at most ENDED_KEPT ended leases (the oldest go first; a Map keeps insertion order).
function forgetOldest(leases: Map<string, Lease>): void {
  let ended = 0;
  for (const lease of leases.values()) if (lease.endedAt !== undefined) ended++;
  for (const [id, lease] of leases) {
    if (ended <= ENDED_KEPT) return;
    if (lease.endedAt === undefined) continue;
    leases.delete(id);
    ended--;
  }
}

function pushSample(samples: number[], value: number): number[] {
  samples.push(value);
  if (samples.length > SAMPLES) samples.splice(0, samples.length - SAMPLES);
  return samples;
}

/** The `q`-quantile (0..1) of `samples` by nearest rank; 0 without samples. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}
