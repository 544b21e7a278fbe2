/**
 * The scratch state of one scheduling pass and the moves on it: grant a place, evict a unit,
 * leave a unit waiting.
 *
 * Owns: the free-capacity ledger and the lists that become the `Decision`.
 * Must not: choose who goes first; `schedule.ts` and `time-slice.ts` do.
 */
import type { Dimensions } from './resources.ts';
import { addInto, demandOf, dimensionsOf, shortfall, shortMask, withoutHeld } from './resources.ts';
import type { QueueKey } from './priority.ts';
import { effectivePriority, turnOf } from './priority.ts';
import type { PreemptReason, Preemption, PreemptionMode, ScheduleInput, SchedulableUnit, Waiting } from './types.ts';

/** A unit with its pass-local keys: effective priority, turn and resource vectors. */
export interface Entry extends QueueKey {
  /** What placing it takes: all its requests, or for a suspended unit all but the memory it kept. */
  readonly demand: readonly number[];
  /** What suspending it frees: its requests but memory. */
  readonly released: readonly number[];
  /** For running units: when started or last resumed (`now` if unknown). */
  readonly startedAt: number;
}

/** One pass in progress. Only `schedule()` creates one and it never leaves the call. */
export interface Pass {
  readonly input: ScheduleInput;
  readonly dims: Dimensions;
  readonly free: number[];
  /** Running units, most-preferred victim first: lowest priority (as started), then most recently started. */
  readonly running: readonly Entry[];
  readonly evicted: Set<string>;
  readonly granted: Entry[];
  readonly preempt: Preemption[];
  waiting: { readonly entry: Entry; readonly why: Waiting }[];
  /** Shortfall wordings by mask of short axes: thousands of waiters share a handful. */
  readonly reasons: Map<number, Omit<Waiting, 'id'>>;
  /** freeable[k]: what the first k running units free if all preemptible ones go; rebuilt after an eviction. */
  freeable: number[][] | undefined;
  /** The waiting unit that holds what was free of what it lacks, and those amounts. */
  holder: { readonly entry: Entry; readonly held: number[] } | undefined;
  /** Whether a reservation was made in this pass (only one is). */
  reserved: boolean;
}

/** The entry of `unit` in a pass over `input`. */
export function entryOf(input: ScheduleInput, dims: Dimensions, unit: SchedulableUnit): Entry {
  const full = demandOf(dims, unit);
  // Only running and suspended units need the second vector; most of a queue is pending.
  const released = unit.state === 'pending' ? full : withoutHeld(dims, full);
  return {
    unit,
    // A running unit keeps the effective priority it was started (or resumed) with.
    priority: effectivePriority(unit, input.policy, unit.state === 'running' ? (unit.startedAt ?? input.now) : input.now),
    turn: turnOf(unit, input.policy),
    demand: unit.state === 'suspended' ? released : full,
    released,
    startedAt: unit.startedAt ?? input.now,
  };
}

/** What evicting running `entry` frees: its requests if requeued, all but memory if suspended. */
export function freedBy(entry: Entry, mode: PreemptionMode): readonly number[] {
  return mode === 'suspend' ? entry.released : entry.demand;
}

/** A fresh pass: capacity minus what running units hold and the memory suspended ones keep. */
export function startPass(input: ScheduleInput): Pass {
  const dims = dimensionsOf(input.policy);
  const free = [...dims.total];
  const running = input.units.filter((u) => u.state === 'running').map((u) => entryOf(input, dims, u));
  for (const r of running) addInto(free, r.demand, -1);
  for (const u of input.units) if (u.state === 'suspended') addInto(free, keptBy(dims, u), -1);
  running.sort(byVictimPreference);
  return { input, dims, free, running, evicted: new Set(), granted: [], preempt: [], waiting: [], reasons: new Map(), freeable: undefined, holder: undefined, reserved: false };
}

function keptBy(dims: Dimensions, unit: SchedulableUnit): number[] {
  return demandOf(dims, unit).map((amount, i) => (dims.held[i] === true ? amount : 0));
}

// Lowest priority first, then the most recently started, then id.
function byVictimPreference(a: Entry, b: Entry): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.startedAt !== b.startedAt) return b.startedAt - a.startedAt;
  return a.unit.id < b.unit.id ? -1 : a.unit.id > b.unit.id ? 1 : 0;
}

/** Gives `entry` its place (start or resume). */
export function grant(pass: Pass, entry: Entry): void {
  addInto(pass.free, entry.demand, -1);
  pass.granted.push(entry);
}

/** Takes the place of running `victim` back for `by`. */
export function evict(pass: Pass, victim: Entry, by: Entry, reason: PreemptReason): void {
  pass.evicted.add(victim.unit.id);
  pass.freeable = undefined;
  const mode = reason === 'TimeSliceExpired' ? 'suspend' : victim.unit.preemption;
  addInto(pass.free, freedBy(victim, mode), 1);
  pass.preempt.push({ id: victim.unit.id, mode, reason, by: by.unit.id });
}

/** Leaves `entry` where it is, saying what it lacks right now. */
export function leaveWaiting(pass: Pass, entry: Entry): void {
  const mask = pass.dims.total.length <= 30 ? shortMask(entry.demand, pass.free) : -1;
  let why = pass.reasons.get(mask);
  if (why === undefined) {
    why = shortfall(pass.dims, entry.demand, pass.free);
    if (mask >= 0) pass.reasons.set(mask, why);
  }
  pass.waiting.push({ entry, why: { id: entry.unit.id, reason: why.reason, insufficient: why.insufficient } });
}

/** The most that evicting every preemptible running unit ranked below `priority` could free. */
export function freeableBelow(pass: Pass, priority: number): readonly number[] {
  pass.freeable ??= prefixSums(pass);
  let lo = 0;
  let hi = pass.running.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((pass.running[mid]?.priority ?? Infinity) < priority) lo = mid + 1;
    else hi = mid;
  }
  return pass.freeable[lo] ?? [];
}

function prefixSums(pass: Pass): number[][] {
  const sums = [pass.dims.total.map(() => 0)];
  pass.running.forEach((r, i) => {
    const next = [...(sums[i] ?? [])];
    if (r.unit.preemptible && !pass.evicted.has(r.unit.id)) addInto(next, freedBy(r, r.unit.preemption), 1);
    sums.push(next);
  });
  return sums;
}
