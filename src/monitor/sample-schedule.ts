/**
 * The sampler's adaptive schedule: how often each instance is read, from its latest sample and
 * what watches it (limits, open alerts, CPU autoscaling). Pure: no clock, no I/O.
 *
 * - Every interval: an instance with no sample of its current process yet, one whose group used
 *   CPU since the sample before, one with an open alert, one near a limit
 *   (a figure at {@link NEAR_SHARE} of its alert threshold or above) and one of an object with
 *   CPU autoscaling.
 * - Every {@link WATCHED_MAX_MS}: an idle instance with limits, far from all of them.
 * - Every {@link QUIET_MAX_MS}: an idle instance without limits (its figures are for display).
 *
 * Ticks are counted from the sampler's start, so all quiet instances fall due on the same tick
 * (one listing of `/proc` serves them all).
 */
import type { LimitedResource, ResourceLimits } from '../model/limits.ts';
import type { ResourceUsage } from '../model/usage.ts';
import { figureOf } from '../planner/limits.ts';

/** How old the sample of an idle instance without limits may grow. */
export const QUIET_MAX_MS = 30_000;

/** How old the sample of an idle instance with limits, far from them, may grow. */
export const WATCHED_MAX_MS = 5_000;

/** Share of a limit's alert threshold (`warnAt` x limit) from which an instance is read every interval. */
export const NEAR_SHARE = 0.5;

/** What watches an instance, as the controller knows it. */
export interface SampleWatch {
  /** Limits of the revision the instance runs. */
  readonly limits?: ResourceLimits;
  /** Fraction of a limit that raises an alert (default 0.8). */
  readonly warnAt?: number;
  /** One of the instance's alerts is open. */
  readonly alerting?: boolean;
  /** CPU autoscaling averages the instance's latest figure. */
  readonly autoscaled?: boolean;
}

/** How often an instance is read: every interval, every {@link WATCHED_MAX_MS}, or every {@link QUIET_MAX_MS}. */
export type Cadence = 'interval' | 'watched' | 'quiet';

/** The latest sample the sampler holds of an instance. */
export interface LastSample {
  readonly pid: number;
  readonly usage: ResourceUsage;
}

/**
 * The cadence of an instance running `pid`, given its latest sample; `watch(of)` is asked only for
 * an idle instance (most of them), so a busy one costs no lookup (and a caller passes one `watch`
 * per tick with the instance as `of`, not a closure per instance).
 * @example cadenceOf(undefined, 42, () => undefined) // 'interval': not sampled yet
 */
export function cadenceOf<T = void>(last: LastSample | undefined, pid: number, watch: (of: T) => SampleWatch | undefined, of: T): Cadence {
  return last?.pid !== pid || isBusy(last.usage) ? 'interval' : idleCadence(last.usage, watch(of));
}

/** The cadence of an instance whose latest sample (of its current process) shows it idle. */
export function idleCadence(usage: ResourceUsage, watch: SampleWatch | undefined): Cadence {
  if (watch === undefined) return 'quiet';
  if (watch.autoscaled === true || watch.alerting === true || isNear(usage, watch)) return 'interval';
  return watch.limits !== undefined && Object.keys(watch.limits).length > 0 ? 'watched' : 'quiet';
}

/** Every how many ticks of `intervalMs` an instance of `cadence` is read (at least 1). */
export function ticksPerRead(cadence: Cadence, intervalMs: number): number {
  if (cadence === 'interval') return 1;
  const maxMs = cadence === 'watched' ? WATCHED_MAX_MS : QUIET_MAX_MS;
  return Math.max(1, Math.floor(maxMs / Math.max(1, intervalMs)));
}

/** Whether an instance of `cadence` is read on tick number `tick` (0 = the first, when all are). */
export function isDue(cadence: Cadence, tick: number, intervalMs: number): boolean {
  return tick % ticksPerRead(cadence, intervalMs) === 0;
}

/** The first tick from `tick` on (itself included) on which an instance of `cadence` is read. */
export function nextDue(cadence: Cadence, tick: number, intervalMs: number): number {
  const every = ticksPerRead(cadence, intervalMs);
  const past = tick % every;
  return past === 0 ? tick : tick + every - past;
}

/** Whether every instance is due on `tick` (a full pass). */
export function isFullPass(tick: number, intervalMs: number): boolean {
  return isDue('quiet', tick, intervalMs);
}

/**
 * Whether the group used CPU since the sample before. Disk rates do not count: an idle process
 * keeps the rates of its last detail read (its lifetime average at first), and I/O takes CPU.
 */
export function isBusy(usage: ResourceUsage): boolean {
  return usage.cpu > 0;
}

/** Whether any limited figure is at {@link NEAR_SHARE} of its alert threshold or above. */
export function isNear(usage: ResourceUsage, watch: SampleWatch): boolean {
  const limits = watch.limits;
  if (limits === undefined) return false;
  const share = NEAR_SHARE * (watch.warnAt ?? 0.8);
  for (const resource of Object.keys(limits) as LimitedResource[]) {
    const limit = limits[resource];
    if (limit !== undefined && (figureOf(resource, usage) ?? 0) >= share * limit) return true;
  }
  return false;
}
