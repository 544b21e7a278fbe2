/**
 * The pool planner: how many workers a ProcessPool should run now. The result becomes the
 * `replicas` of the pool's Process-like object, so the ordinary planner starts and stops workers
 * (scale down removes the highest index first).
 *
 * Rules, in order:
 * 1. Demand: requests waiting beyond the slots that are or will soon be free (not leased) grow the
 *    pool by the shortfall (`LeaseDemand`), up to `maxReplicas`.
 * 2. Idleness: with nobody waiting, the highest-index worker is reaped (`IdleTimeout`) while it is
 *    not leased and has been idle for `idleTimeout`, down to `minReplicas`. Leases go to the lowest
 *    index first, so the top workers are the ones that fall idle; a leased top worker holds the
 *    pool at its size until it is released.
 * 3. Autoscale (optional): the Kubernetes HPA rule desired = ceil(current x usage / target), no
 *    change within 10 % of the target, stabilised (growth takes the lowest recommendation of the
 *    `up` window, shrinking the highest of the `down` window). It may grow past demand
 *    (`CpuAboveTarget`) and shrink idle top workers without waiting for `idleTimeout`
 *    (`CpuBelowTarget`).
 * The result is always within [minReplicas, maxReplicas].
 * Must not: do I/O or read the clock (`now` is an input).
 */
import type { PoolPolicy } from '../model/pool.ts';
import { isIdle, type LeaseBook, type WorkerRecord } from './lease-book.ts';

/** HPA tolerance: no scaling while usage/target is within 1 +- this. */
export const HPA_TOLERANCE = 0.1;

/** One autoscale recommendation, kept for the stabilization windows. */
export interface Recommendation {
  readonly at: number;
  readonly replicas: number;
}

export interface PoolScaleInput {
  readonly policy: PoolPolicy;
  /** The replica count decided last (minReplicas for a new pool). */
  readonly current: number;
  readonly book: LeaseBook;
  /** Average of the autoscale metric over the Ready workers, when sampled. */
  readonly usage?: number;
  readonly recommendations: readonly Recommendation[];
  readonly now: number;
}

export interface PoolScaleDecision {
  readonly replicas: number;
  /** Why it changed: `LeaseDemand`, `IdleTimeout`, `CpuAboveTarget`, `CpuBelowTarget`, `ReplicaLimits`; absent when unchanged. */
  readonly reason?: string;
  readonly message?: string;
  /** Worker ids removed by this decision (the top slots). */
  readonly reaped: readonly string[];
  readonly recommendations: readonly Recommendation[];
}

/** Decides the pool's replica count now. */
export function decideReplicas(input: PoolScaleInput): PoolScaleDecision {
  const { policy, book, now } = input;
  const current = clamp(input.current, policy);
  const hpa = autoscaleTarget(input, current);
  const demand = demandTarget(book, current, policy);
  const grow = Math.max(demand, hpa.target ?? current);
  if (grow > current) {
    const reason = demand >= grow ? 'LeaseDemand' : 'CpuAboveTarget';
    const message = demand >= grow
      ? `${book.waiting.length} lease request(s) waiting: growing from ${current} to ${grow} workers`
      : `average ${input.policy.autoscale?.metric ?? 'cpu'} ${round(input.usage)} % above target ${input.policy.autoscale?.target ?? 0} %: growing from ${current} to ${grow} workers`;
    return { replicas: grow, reason, message, reaped: [], recommendations: hpa.recommendations };
  }
  if (current !== input.current) {
    const message = `the pool's limits moved: ${input.current} workers is outside [${policy.minReplicas}, ${policy.maxReplicas}]; now ${current}`;
    return { replicas: current, reason: 'ReplicaLimits', message, reaped: [], recommendations: hpa.recommendations };
  }
  if (book.waiting.length > 0) return unchanged(current, hpa.recommendations);
  const floor = Math.max(policy.minReplicas, Math.min(current, hpa.target ?? current));
  const byCpu = reapTop(book, current, floor, () => true);
  const byIdle = reapTop(book, current, policy.minReplicas, (w) => w.idleSince !== undefined && now - w.idleSince >= policy.idleTimeoutMs);
  const reaped = byIdle.length >= byCpu.length ? byIdle : byCpu;
  if (reaped.length === 0) return unchanged(current, hpa.recommendations);
  const replicas = current - reaped.length;
  const reason = reaped === byIdle ? 'IdleTimeout' : 'CpuBelowTarget';
  const message = reason === 'IdleTimeout'
    ? `${reaped.join(', ')} idle for ${policy.idleTimeoutMs} ms: shrinking from ${current} to ${replicas} workers`
    : `average ${policy.autoscale?.metric ?? 'cpu'} ${round(input.usage)} % below target ${policy.autoscale?.target ?? 0} %: shrinking from ${current} to ${replicas} workers`;
  return { replicas, reason, message, reaped, recommendations: hpa.recommendations };
}

/**
 * The HPA rule: ceil(current x usage / target), or `current` while usage/target is within the
 * tolerance.
 * @example hpaReplicas(4, 90, 60) // 6
 */
export function hpaReplicas(current: number, usage: number, target: number, tolerance = HPA_TOLERANCE): number {
  const ratio = usage / target;
  if (Math.abs(ratio - 1) <= tolerance) return current;
  return Math.ceil(current * ratio);
}

/**
 * Stabilises a recommendation against the recent ones: growth takes the lowest recommendation of
 * the last `upMs`, shrinking the highest of the last `downMs` (the Kubernetes HPA behaviour).
 */
export function stabilize(recommendations: readonly Recommendation[], current: number, now: number, upMs: number, downMs: number): number {
  const latest = recommendations.at(-1)?.replicas ?? current;
  const within = (ms: number): number[] => recommendations.filter((r) => now - r.at <= ms).map((r) => r.replicas);
  if (latest > current) return Math.max(current, Math.min(...within(upMs)));
  if (latest < current) return Math.min(current, Math.max(...within(downMs)));
  return current;
}

// Slots not leased, or soon free, can serve a waiting request; the rest is the shortfall.
function demandTarget(book: LeaseBook, current: number, policy: PoolPolicy): number {
  if (book.waiting.length === 0) return current;
  let leased = 0;
  for (const w of book.workers.values()) if (w.replica < current && (w.lease !== undefined || book.reaping.includes(w.id))) leased++;
  const shortfall = book.waiting.length - (current - leased);
  return shortfall > 0 ? Math.min(policy.maxReplicas, current + shortfall) : current;
}

function autoscaleTarget(input: PoolScaleInput, current: number): { target?: number; recommendations: readonly Recommendation[] } {
  const scale = input.policy.autoscale;
  if (!scale || input.usage === undefined) return { recommendations: input.recommendations };
  const raw = clamp(hpaReplicas(current, input.usage, scale.target), input.policy);
  const keepMs = Math.max(scale.stabilizationUpMs, scale.stabilizationDownMs);
  const recommendations = [...input.recommendations.filter((r) => input.now - r.at <= keepMs), { at: input.now, replicas: raw }];
  const target = stabilize(recommendations, current, input.now, scale.stabilizationUpMs, scale.stabilizationDownMs);
  return { target, recommendations };
}

// The top slots, from the highest index down to `floor`, while each one's worker may go.
function reapTop(book: LeaseBook, current: number, floor: number, may: (worker: WorkerRecord) => boolean): string[] {
  const byReplica = new Map<number, WorkerRecord>();
  for (const w of book.workers.values()) byReplica.set(w.replica, w);
  const reaped: string[] = [];
  for (let replica = current - 1; replica >= floor; replica--) {
    const worker = byReplica.get(replica);
    if (!worker || !isIdle(book, worker) || !may(worker)) break;
    reaped.push(worker.id);
  }
  return reaped;
}

function unchanged(replicas: number, recommendations: readonly Recommendation[]): PoolScaleDecision {
  return { replicas, reaped: [], recommendations };
}

function clamp(replicas: number, policy: PoolPolicy): number {
  return Math.min(policy.maxReplicas, Math.max(policy.minReplicas, replicas));
}

function round(value: number | undefined): number {
  return Math.round((value ?? 0) * 10) / 10;
}
