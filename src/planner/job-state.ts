/**
 * Where a Job's current run stands: which completion indices succeeded, which run, which want a
 * start (fresh, a retry after a failure, or again after a `requeue` preemption), and whether the
 * run is over.
 *
 * A Job runs `completions` indices as instances `<job>-<n>`, at most `parallelism` at a time:
 *
 *     Pending ──admitted──> Running ──all indices exited 0──> Succeeded ──ttlAfterFinished──> (forgotten)
 *        ^                    │ └─ preempted (suspend) ──> Suspended ──resumed──> Running
 *        │                    ├─ failed, retries < backoffLimit ──backoff──> Pending (retry)
 *        │                    ├─ failed, retries = backoffLimit ──> Failed (BackoffLimitExceeded)
 *        │                    └─ ran activeDeadline (suspended time excluded) ──kill──> Failed (Timeout)
 *        └── preempted (requeue): stopped, started again when admitted (a restart, not a failure)
 *
 * Owns: reading the run off the observed instances and the run record.
 * Must not: look at capacity (the scheduler's verdicts come in later, job.ts), read the clock,
 * do I/O.
 */
import type { ObjectHistory } from '../model/history.ts';
import { isLive, runningTimeOf, type ExitInfo, type ObservedInstance } from '../model/instance.ts';
import type { JobObject, JobPhase, JobRecord } from '../model/job.ts';
import type { ObjectKey } from '../model/object.ts';
import { backoffDelay } from './backoff.ts';
import { cronRun } from './job-cron.ts';
import { classifyExit } from './failures.ts';
import { isFailedExit } from './restart-policy.ts';

/** A completion index that wants to start, waiting only for the scheduler. */
export interface JobWant {
  readonly index: number;
  readonly id: string;
  /** `retry` counts against backoffLimit; `requeue` (after a requeue preemption) is a restart only. */
  readonly kind: 'fresh' | 'retry' | 'requeue';
  /** The backoff attempt to record. */
  readonly attempt: number;
}

/** What one Job run is doing. */
export interface JobState {
  /** The run record, new when the spec changed (or, scheduled, at a new tick). */
  readonly record: JobRecord;
  readonly phase: JobPhase;
  /** Why it is in its phase (`BackoffLimitExceeded`, `Timeout`, `CrashLoopBackOff`...). */
  readonly reason: string;
  readonly succeeded: number;
  /** Instances of the run that are live (running, suspended, starting or stopping). */
  readonly live: readonly ObservedInstance[];
  /** Instances of another spec: stopped and forgotten before the run starts anything. */
  readonly outdated: readonly ObservedInstance[];
  /** Starts the run wants now, within parallelism, in index order. */
  readonly wants: readonly JobWant[];
  /** Live instances past activeDeadline: to kill (failure type Timeout). */
  readonly overdue: readonly ObservedInstance[];
  /** Failed indices waiting out their backoff, with when it ends. */
  readonly backingOff: readonly { readonly instance: ObservedInstance; readonly until: number; readonly attempt: number }[];
  /** The earliest time something changes with no other event (deadline, backoff end, ttl). */
  readonly wakeAt?: number;
}

/** Everything {@link jobState} reads. */
export interface JobContext {
  readonly key: ObjectKey;
  readonly object: JobObject;
  readonly instances: readonly ObservedInstance[];
  readonly history: ObjectHistory | undefined;
  readonly now: number;
}

/** The instance id of completion index `index`: `report-0`. */
export function jobInstanceId(object: JobObject, index: number): string {
  return `${object.name}-${index}`;
}

/**
 * The run record for the current spec: the recorded one, or a new run arriving `now`; for a
 * scheduled Job, the run of the latest due tick (job-cron.ts).
 */
export function currentRecord(object: JobObject, history: ObjectHistory | undefined, now: number, instances: readonly ObservedInstance[] = []): JobRecord {
  if (object.spec.schedule !== undefined) return cronRun(object, history, instances, now).record;
  const record = history?.job;
  if (record?.specHash === object.specHash) return record;
  return { specHash: object.specHash, arrivedAt: now, retries: 0, requeues: 0 };
}

/** Reads the run of `ctx.object` off its instances and record. */
export function jobState(ctx: JobContext, record: JobRecord = currentRecord(ctx.object, ctx.history, ctx.now, ctx.instances)): JobState {
  const state = recordState(ctx, record);
  const tick = ctx.object.spec.schedule === undefined ? undefined : cronRun(ctx.object, ctx.history, ctx.instances, ctx.now).nextTick;
  if (tick === undefined || (state.wakeAt !== undefined && state.wakeAt <= tick)) return state;
  return { ...state, wakeAt: tick };
}

function recordState(ctx: JobContext, record: JobRecord): JobState {
  const { object } = ctx;
  // A scheduled Job's instances started before its current run belong to an earlier run.
  const earlier = (i: ObservedInstance): boolean => object.spec.schedule !== undefined && i.startedAt < record.arrivedAt;
  const outdated = ctx.instances.filter((i) => i.specHash !== object.specHash || i.replica >= object.spec.completions || earlier(i));
  const current = ctx.instances.filter((i) => !outdated.includes(i));
  const live = current.filter((i) => i.state !== 'exited');
  const base = { record, live, outdated, wants: [], overdue: [], backingOff: [] };
  const succeeded = current.filter((i) => i.state === 'exited' && isSuccess(exitOf(i))).length;
  if (record.waitingForTick) return { ...base, phase: 'Pending', reason: 'WaitingForSchedule', succeeded };
  if (record.finished) {
    const ttl = object.spec.ttlAfterFinishedMs;
    const wakeAt = ttl > 0 && !record.forgotten ? record.finished.at + ttl : undefined;
    return { ...base, phase: record.finished.phase, reason: record.finished.reason, succeeded, ...(wakeAt === undefined ? {} : { wakeAt }) };
  }
  return runningState(ctx, record, { current, live, outdated, succeeded });
}

interface Split {
  readonly current: readonly ObservedInstance[];
  readonly live: readonly ObservedInstance[];
  readonly outdated: readonly ObservedInstance[];
  readonly succeeded: number;
}

// An unfinished run: what each index does, then whether that ends the run.
function runningState(ctx: JobContext, record: JobRecord, split: Split): JobState {
  const { object, now } = ctx;
  const spec = object.spec;
  const wants: JobWant[] = [];
  const overdue: ObservedInstance[] = [];
  const backingOff: { instance: ObservedInstance; until: number; attempt: number }[] = [];
  let wakeAt = Infinity;
  let ended: { phase: 'Failed'; at: number; reason: string } | undefined;
  let lastSuccess = 0;
  for (let index = 0; index < spec.completions; index++) {
    const instance = split.current.find((i) => i.replica === index);
    const id = jobInstanceId(object, index);
    if (instance === undefined) {
      wants.push({ index, id, kind: 'fresh', attempt: 0 });
      continue;
    }
    if (instance.state !== 'exited') {
      const deadline = deadlineOf(instance, spec.activeDeadlineMs, now);
      if (deadline !== undefined && deadline <= now && isLive(instance)) overdue.push(instance);
      else if (deadline !== undefined && instance.suspendedAt === undefined) wakeAt = Math.min(wakeAt, deadline);
      continue;
    }
    const exit = exitOf(instance);
    if (isSuccess(exit)) {
      lastSuccess = Math.max(lastSuccess, exit.at);
      continue;
    }
    const failure = classifyExit(exit, instance.stopReason);
    if (failure === undefined) {
      // Stopped by tend for its own sake: requeued after preemption, or shut down.
      wants.push({ index, id, kind: instance.stopReason === 'Preempted' ? 'requeue' : 'fresh', attempt: 0 });
      continue;
    }
    if (failure === 'Timeout') ended ??= { phase: 'Failed', at: exit.at, reason: 'Timeout' };
    else if (record.retries >= spec.backoffLimit) ended ??= { phase: 'Failed', at: exit.at, reason: 'BackoffLimitExceeded' };
    if (ended) continue;
    const attempt = ctx.history?.slots[index]?.backoffAttempt ?? 0;
    const until = exit.at + backoffDelay(spec.backoff, attempt, id);
    if (now < until) {
      backingOff.push({ instance, until, attempt });
      wakeAt = Math.min(wakeAt, until);
    } else wants.push({ index, id, kind: 'retry', attempt: attempt + 1 });
  }
  const finished = ended ?? (split.succeeded >= spec.completions ? { phase: 'Succeeded' as const, at: lastSuccess, reason: 'Completed' } : undefined);
  const base = { record: finished ? { ...record, finished } : record, live: split.live, outdated: split.outdated, succeeded: split.succeeded };
  if (finished) {
    const ttl = spec.ttlAfterFinishedMs;
    return { ...base, phase: finished.phase, reason: finished.reason, wants: [], overdue: [], backingOff: [], ...(ttl > 0 ? { wakeAt: finished.at + ttl } : {}) };
  }
  if (isStoppedByUser(ctx.history)) {
    return { ...base, phase: 'Stopped', reason: 'UserStopped', wants: [], overdue: [], backingOff: [] };
  }
  const room = Math.max(0, spec.parallelism - split.live.length);
  const { phase, reason } = unfinishedPhase(split.live, backingOff.length > 0);
  const wake = Number.isFinite(wakeAt) ? { wakeAt } : {};
  return { ...base, phase, reason, wants: split.outdated.some((i) => i.state !== 'exited') ? [] : wants.slice(0, room), overdue, backingOff, ...wake };
}

// `tend stop` at the current generation: nothing starts, what runs is stopped (`tend start` resumes the run).
function isStoppedByUser(history: ObjectHistory | undefined): boolean {
  return history?.override?.type === 'stopped' && history.override.generation === history.generation;
}

function unfinishedPhase(live: readonly ObservedInstance[], backingOff: boolean): { phase: JobPhase; reason: string } {
  if (live.length > 0 && live.every((i) => i.suspendedAt !== undefined)) return { phase: 'Suspended', reason: 'Preempted' };
  if (live.length > 0) return { phase: 'Running', reason: 'Running' };
  return { phase: 'Pending', reason: backingOff ? 'CrashLoopBackOff' : 'Pending' };
}

/** When a live instance reaches `activeDeadlineMs` of running time, or undefined without one. */
function deadlineOf(instance: ObservedInstance, activeDeadlineMs: number, now: number): number | undefined {
  if (activeDeadlineMs <= 0 || instance.state === 'stopping') return undefined;
  return now + (activeDeadlineMs - runningTimeOf(instance, now));
}

function exitOf(instance: ObservedInstance): ExitInfo {
  return instance.exit ?? { code: null, signal: null, at: instance.startedAt, reason: 'Lost', requested: false };
}

function isSuccess(exit: ExitInfo): boolean {
  return !exit.requested && !isFailedExit(exit);
}
