/**
 * Effective priority and queue order: base priority plus aging, then arrival (or, with time
 * slicing, the last turn), then id.
 *
 * Owns: the aging arithmetic and the order of waiting work.
 * Must not: look at capacity.
 */
import type { AgingPolicy, SchedulableUnit, SchedulingPolicy } from './types.ts';

function agingOn(aging: AgingPolicy | undefined): aging is AgingPolicy {
  return aging !== undefined && aging.everyMs > 0 && aging.boost !== 0;
}

function boostFor(aging: AgingPolicy | undefined, waitedMs: number): number {
  if (!agingOn(aging) || waitedMs <= 0) return 0;
  return Math.floor(waitedMs / aging.everyMs) * aging.boost;
}

/**
 * Effective priority at `at`: base priority plus `aging.boost` per whole `aging.everyMs` since
 * arrival. Queued units are ranked by it at `now`, running ones at the time they were started.
 */
export function effectivePriority(unit: SchedulableUnit, policy: SchedulingPolicy, at: number): number {
  return unit.priority + boostFor(policy.aging, at - unit.arrivedAt);
}

/** When the effective priority of a waiting unit next rises; undefined without aging. */
export function nextAgingStep(unit: SchedulableUnit, policy: SchedulingPolicy, now: number): number | undefined {
  if (!agingOn(policy.aging)) return undefined;
  const every = policy.aging.everyMs;
  const waited = Math.max(0, now - unit.arrivedAt);
  return unit.arrivedAt + (Math.floor(waited / every) + 1) * every;
}

/**
 * The tie-break after effective priority: arrival, or with time slicing the time the unit last
 * stopped running (its arrival if it never ran), so equal units take turns round-robin.
 */
export function turnOf(unit: SchedulableUnit, policy: SchedulingPolicy): number {
  return policy.timeSliceMs > 0 ? (unit.lastRanAt ?? unit.arrivedAt) : unit.arrivedAt;
}

/** Queue-order comparison of precomputed keys: higher priority, then earlier turn, then id. */
export function byQueueOrder(a: QueueKey, b: QueueKey): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.turn !== b.turn) return a.turn - b.turn;
  return a.unit.id < b.unit.id ? -1 : a.unit.id > b.unit.id ? 1 : 0;
}

/** The sort keys of one unit, computed once per pass. */
export interface QueueKey {
  readonly unit: SchedulableUnit;
  readonly priority: number;
  readonly turn: number;
}
