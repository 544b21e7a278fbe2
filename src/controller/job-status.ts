/**
 * The status view of a Job (`tend get jobs`, `get -o json`, `describe`): its phase with the
 * reason it waits, completions, duration, priority and queue position. Pure.
 */
import type { Action, Plan } from '../model/action.ts';
import type { ObjectHistory } from '../model/history.ts';
import type { ObservedInstance } from '../model/instance.ts';
import type { JobObject } from '../model/job.ts';
import { jobState } from '../planner/job-state.ts';
import { isFailedExit } from '../planner/restart-policy.ts';

/** `status.job` of a Job. */
export interface JobStatusView {
  readonly completions: number;
  readonly succeeded: number;
  /** Instances live now (running or suspended). */
  readonly active: number;
  readonly suspended: number;
  /** Failed instances started again in this run (checked against backoffLimit). */
  readonly retries: number;
  /** Instances preempted with `requeue` and started again. */
  readonly requeues: number;
  readonly priority: number;
  /** ISO 8601: the run's first start; null before. */
  readonly startTime: string | null;
  readonly completionTime: string | null;
  /** From the first start to the end (or now). */
  readonly durationMs: number | null;
  /** Place in the scheduler's queue while it waits (1 is next). */
  readonly queuePosition?: number;
}

/** What the summary of a Job is made of. */
export interface JobSummary {
  readonly phase: string;
  readonly reason: string;
  /** Completions that succeeded: what `get` shows in READY for a Job, against `completions`. */
  readonly readyReplicas: number;
  readonly job: JobStatusView;
}

/** The summary of `object` from its instances, history and the plan made from the same state. */
export function jobSummary(object: JobObject, instances: readonly ObservedInstance[], history: ObjectHistory | undefined, plan: Plan, now: number): JobSummary {
  const state = jobState({ key: object.key, object, instances, history, now });
  const actions = plan.filter((a) => a.object === object.key);
  const waiting = actions.find((a) => a.type === 'wait' && (a.reason === 'Unschedulable' || a.reason === 'Preempting'));
  const current = instances.filter((i) => i.specHash === object.specHash);
  const started = current.length === 0 ? undefined : Math.min(...current.map((i) => i.startedAt));
  const finishedAt = state.record.finished?.at;
  const reason = state.phase === 'Pending' && waiting ? reasonOf(waiting) : state.reason;
  const suspended = state.live.filter((i) => i.suspendedAt !== undefined).length;
  const position = waiting ? positionOf(waiting) : undefined;
  return {
    phase: state.phase,
    reason,
    readyReplicas: state.succeeded,
    job: {
      completions: object.spec.completions,
      succeeded: state.succeeded,
      active: state.live.length,
      suspended,
      retries: state.record.retries,
      requeues: state.record.requeues,
      priority: object.spec.priority,
      startTime: started === undefined ? null : new Date(started).toISOString(),
      completionTime: finishedAt === undefined ? null : new Date(finishedAt).toISOString(),
      durationMs: started === undefined ? null : Math.max(0, (finishedAt ?? now) - started),
      ...(position === undefined ? {} : { queuePosition: position }),
    },
  };
}

/** The phase of one instance of a Job. */
export function jobInstancePhase(instance: ObservedInstance, plan: Plan): { phase: string; reason: string } {
  if (instance.state === 'starting') return { phase: 'Starting', reason: 'PreStartHook' };
  if (instance.state === 'stopping') return { phase: 'Stopping', reason: instance.stopReason ?? 'Stopping' };
  if (instance.state === 'running') return instance.suspendedAt === undefined ? { phase: 'Running', reason: 'Started' } : { phase: 'Suspended', reason: 'Preempted' };
  const action = plan.find((a) => a.object === instance.object && a.instance === instance.id);
  if (action?.type === 'wait') return { phase: action.reason === 'CrashLoopBackOff' ? 'BackOff' : 'Pending', reason: reasonOf(action) };
  if (action?.type === 'start') return { phase: 'Pending', reason: action.reason };
  const exit = instance.exit;
  if (exit === undefined) return { phase: 'Failed', reason: 'Lost' };
  if (exit.requested) return instance.stopReason === 'Timeout' ? { phase: 'Failed', reason: 'Timeout' } : { phase: 'Stopped', reason: instance.stopReason ?? 'Stopped' };
  return isFailedExit(exit) ? { phase: 'Failed', reason: exit.signal === null ? 'Error' : 'Signaled' } : { phase: 'Succeeded', reason: 'Completed' };
}

// `Insufficient cpu` rather than the bare reason code `Unschedulable`.
function reasonOf(action: Action): string {
  return action.type === 'wait' && action.shortfall !== undefined ? action.shortfall : action.reason;
}

function positionOf(action: Action): number | undefined {
  return action.type === 'wait' ? action.queuePosition : undefined;
}
