/**
 * Resource arithmetic for one scheduling pass: requests and capacity as dense vectors, one slot
 * per capacity name plus one for `maxConcurrentJobs` when it is set.
 *
 * Owns: turning `Capacity` records into vectors, the fit test and the shortfall wording.
 * Must not: decide who runs; that is `schedule.ts`.
 */
import type { Capacity, SchedulableUnit, SchedulingPolicy } from './types.ts';

/** Slack for comparing sums: cpu is fractional (0.1 + 0.2 cores). */
export const EPSILON = 1e-9;

/** The axes of a pass: capacity names in their given order, then the job slot if limited. */
export interface Dimensions {
  readonly names: readonly string[];
  readonly total: readonly number[];
  /** Whether the last axis counts jobs against `maxConcurrentJobs`. */
  readonly jobSlot: boolean;
  /** Axes a suspended unit keeps holding: `memory`, which a stopped process still occupies. */
  readonly held: readonly boolean[];
}

/** The resource a suspended unit keeps: its pages stay resident while its CPU is free. */
const HELD_WHILE_SUSPENDED = 'memory';

/** The axes and totals of `policy`. */
export function dimensionsOf(policy: SchedulingPolicy): Dimensions {
  const names = Object.keys(policy.capacity);
  const total = names.map((name) => policy.capacity[name] ?? 0);
  const jobSlot = policy.maxConcurrentJobs !== undefined;
  if (jobSlot) total.push(policy.maxConcurrentJobs ?? 0);
  const held = total.map((_, i) => names[i] === HELD_WHILE_SUSPENDED);
  return { names, total, jobSlot, held };
}

/** What `unit` takes on each axis; names the capacity lacks are ignored. */
export function demandOf(dims: Dimensions, unit: SchedulableUnit): number[] {
  const demand = new Array<number>(dims.total.length);
  dims.names.forEach((name, i) => {
    demand[i] = requestOf(unit.requests, name);
  });
  if (dims.jobSlot) demand[dims.names.length] = unit.countsTowardMaxJobs ? 1 : 0;
  return demand;
}

/** `demand` without the axes a suspended unit keeps: what suspending frees, or resuming takes. */
export function withoutHeld(dims: Dimensions, demand: readonly number[]): number[] {
  return demand.map((amount, i) => (dims.held[i] === true ? 0 : amount));
}

// typeof also rejects what a name like `constructor` would find on Object.prototype.
function requestOf(requests: Capacity, name: string): number {
  const amount = requests[name];
  return typeof amount === 'number' && amount > 0 ? amount : 0;
}

/** Whether `demand` fits in `free` on every axis. */
export function fits(demand: readonly number[], free: readonly number[]): boolean {
  for (let i = 0; i < demand.length; i++) {
    const need = demand[i] ?? 0;
    if (need > 0 && need > (free[i] ?? 0) + EPSILON) return false;
  }
  return true;
}

/** Whether `demand` fits in `free` plus `extra` on every axis (no allocation: runs per waiter). */
export function fitsWith(demand: readonly number[], free: readonly number[], extra: readonly number[]): boolean {
  for (let i = 0; i < demand.length; i++) {
    const need = demand[i] ?? 0;
    if (need > 0 && need > (free[i] ?? 0) + (extra[i] ?? 0) + EPSILON) return false;
  }
  return true;
}

/** A number naming the axes on which `demand` does not fit `free`: bit i for axis i (30 axes at most). */
export function shortMask(demand: readonly number[], free: readonly number[]): number {
  let mask = 0;
  for (let i = 0; i < demand.length; i++) {
    const need = demand[i] ?? 0;
    if (need > 0 && need > (free[i] ?? 0) + EPSILON) mask |= 1 << i;
  }
  return mask;
}

/** Adds `sign × amount` to `into`, axis by axis (a pass's own scratch vectors only). */
export function addInto(into: number[], amount: readonly number[], sign: 1 | -1): void {
  for (let i = 0; i < amount.length; i++) into[i] = (into[i] ?? 0) + sign * (amount[i] ?? 0);
}

/** The positive part of `demand - free`: what must be freed before `demand` fits. */
export function deficitOf(demand: readonly number[], free: readonly number[]): number[] {
  return demand.map((need, i) => (need > (free[i] ?? 0) + EPSILON ? need - (free[i] ?? 0) : 0));
}

/** Whether `amount` covers `deficit` on every axis. */
export function covers(amount: readonly number[], deficit: readonly number[]): boolean {
  for (let i = 0; i < deficit.length; i++) {
    const need = deficit[i] ?? 0;
    if (need > 0 && (amount[i] ?? 0) + EPSILON < need) return false;
  }
  return true;
}

/**
 * Why `demand` does not fit in `free`, in the Kubernetes scheduler's words:
 * `Insufficient cpu`, `Insufficient memory, licenses`, `MaxConcurrentJobs`.
 */
export function shortfall(dims: Dimensions, demand: readonly number[], free: readonly number[]): { reason: string; insufficient: string[] } {
  const short = deficitOf(demand, free);
  const insufficient = dims.names.filter((_, i) => (short[i] ?? 0) > 0);
  const parts = insufficient.length > 0 ? [`Insufficient ${insufficient.join(', ')}`] : [];
  if (dims.jobSlot && (short[dims.names.length] ?? 0) > 0) parts.push('MaxConcurrentJobs');
  return { reason: parts.join('; '), insufficient };
}
