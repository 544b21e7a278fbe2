/**
 * What a scheduled Job does at a given moment: start a run for a tick, and what happens to runs
 * still active, the way the Kubernetes CronJob controller decides it.
 *
 * Owns: catch-up after missed ticks and the concurrency policies.
 * Must not: start or stop anything, or read the clock; it returns a decision.
 */
import type { CronSchedule } from './cron-parse.ts';
import type { CronTimeZone } from './cron.ts';
import { nextTick, previousTick } from './cron.ts';

/** `Allow` overlapping runs, `Forbid` a new run while one is active, `Replace` the active ones. */
export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace';

/** Everything `ticksToRun` looks at. */
export interface TicksInput {
  readonly schedule: CronSchedule;
  /** The tick of the last run started (Kubernetes `lastScheduleTime`), or when the Job was created. */
  readonly lastScheduledMs: number;
  readonly nowMs: number;
  readonly concurrencyPolicy: ConcurrencyPolicy;
  /** Ids of the runs of this Job still active. */
  readonly activeRuns: readonly string[];
  readonly timeZone?: CronTimeZone;
}

/** The decision for one moment. */
export interface TicksDecision {
  /** The tick to start a run for now: the most recent one due. Absent: nothing to start. */
  readonly run?: number;
  /** Ticks due since the last run, `run` included, counted up to 100 (more reads as 100). */
  readonly missed: number;
  /** Active runs to stop first (`Replace`). */
  readonly stop: readonly string[];
  /** Set when a tick is due but `Forbid` holds it back behind an active run. */
  readonly forbidden?: true;
  /** The next tick after now: when to look again. */
  readonly nextTick?: number;
}

// Kubernetes stops counting missed start times at 100 and only reports "too many".
const MISSED_CAP = 100;

/**
 * Decides which tick, if any, starts a run at `nowMs`.
 *
 * Like the Kubernetes CronJob controller: of the ticks after `lastScheduledMs` up to now, only the
 * most recent one runs (missed ones while the controller was down are not made up one by one).
 * `Allow` starts it beside active runs; `Replace` stops them and starts it; `Forbid` starts nothing
 * while a run is active and reports `forbidden`: the caller keeps `lastScheduledMs`, so the tick
 * is still owed and runs as soon as the active run ends (or a newer tick replaces it).
 *
 * @example
 * ticksToRun({ schedule, lastScheduledMs: t0, nowMs, concurrencyPolicy: 'Forbid', activeRuns: [] });
 * // { run: <latest tick ≤ nowMs>, missed: 3, stop: [], nextTick: <first tick after nowMs> }
 */
export function ticksToRun(input: TicksInput): TicksDecision {
  const { schedule, lastScheduledMs, nowMs, timeZone = 'local' } = input;
  const next = nextTick(schedule, nowMs, timeZone);
  const base = next === undefined ? { stop: [] } : { stop: [], nextTick: next };
  const latest = previousTick(schedule, nowMs, timeZone);
  if (latest === undefined || latest <= lastScheduledMs) return { ...base, missed: 0 };
  const missed = countTicks(schedule, lastScheduledMs, latest, timeZone);
  if (input.activeRuns.length === 0 || input.concurrencyPolicy === 'Allow') return { ...base, run: latest, missed };
  if (input.concurrencyPolicy === 'Forbid') return { ...base, missed, forbidden: true };
  return { ...base, run: latest, missed, stop: [...input.activeRuns] };
}

// Ticks in (after, upTo], counted up to the cap.
function countTicks(schedule: CronSchedule, after: number, upTo: number, timeZone: CronTimeZone): number {
  let count = 0;
  for (let t = nextTick(schedule, after, timeZone); t !== undefined && t <= upTo && count < MISSED_CAP; t = nextTick(schedule, t, timeZone)) count++;
  return count;
}
