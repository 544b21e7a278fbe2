/**
 * The Job half of a reconcile, and the scheduler's gate on Process starts: plan with the
 * scheduling pass's verdicts, keep the run record, tell when a run ends.
 * Must not: read the clock other than through `deps.clock`.
 */
import type { Action, StartAction } from '../model/action.ts';
import type { Observed, ObservedInstance } from '../model/instance.ts';
import { isJobObject, type JobObject, type JobRecord } from '../model/job.ts';
import { isProcessObject, type ManifestObject, type ObjectKey, type ProcessObject } from '../model/object.ts';
import { hasRequests } from '../planner/scheduling.ts';
import type { History } from '../model/history.ts';
import { stopAction } from '../planner/actions.ts';
import { ADMIT_ALL, type Admission } from '../planner/admission.ts';
import { planJob } from '../planner/job.ts';
import type { ReconcileDeps, ReconcileResult } from './reconcile.ts';

/** Plans a Job key: its actions, the run record kept, the end of a run told once. */
export function planJobKey(deps: ReconcileDeps, key: ObjectKey, object: JobObject, instances: readonly ObservedInstance[], observed: Observed): ReconcileResult {
  const now = deps.clock.now();
  const history = deps.history.get().get(key);
  const admission = deps.scheduling?.(observed).admission ?? ADMIT_ALL;
  const { state, actions } = planJob({ key, object, instances, history, now, generation: history?.generation ?? 1 }, admission);
  let record = state.record;
  if (actions.some((a) => a.reason === 'TtlExpired')) record = { ...record, forgotten: true };
  if (record !== history?.job) {
    if (record.finished && !history?.job?.finished) tellFinished(deps, key, record);
    deps.history.setJob(key, record);
  }
  let requeueAt = state.wakeAt;
  for (const action of actions) {
    if (action.type === 'wait' && Number.isFinite(action.until)) requeueAt = Math.min(requeueAt ?? Infinity, action.until);
  }
  return requeueAt === undefined ? { actions, results: [] } : { actions, results: [], requeueAt };
}

function tellFinished(deps: ReconcileDeps, key: ObjectKey, record: JobRecord): void {
  const finished = record.finished;
  if (!finished) return;
  const ok = finished.phase === 'Succeeded';
  const reason = ok ? 'Completed' : finished.reason === 'Timeout' ? 'DeadlineExceeded' : finished.reason;
  const message = ok ? 'every completion succeeded' : finished.reason === 'Timeout' ? 'an instance ran past activeDeadline; the Job failed' : `the Job failed (${finished.reason}) after ${record.retries} retries`;
  deps.events.record({ object: key, type: ok ? 'Normal' : 'Warning', reason, message });
}

/** Every Job's actions, without applying or recording anything (`tend diff`, status). */
export function planJobs(objects: ReadonlyMap<ObjectKey, ManifestObject>, observed: Observed, history: History, now: number, admission: Admission): Action[] {
  const actions: Action[] = [];
  for (const [key, object] of objects) {
    if (!isJobObject(object)) continue;
    const h = history.get(key);
    actions.push(...planJob({ key, object, instances: observed.get(key) ?? [], history: h, now, generation: h?.generation ?? 1 }, admission).actions);
  }
  return actions;
}

/** `gateProcessStarts` over a whole plan, for each Process with requests (`tend diff`, status). */
export function gateProcessPlan(actions: readonly Action[], objects: ReadonlyMap<ObjectKey, ManifestObject>, observed: Observed, admission: Admission): Action[] {
  const byObject = new Map<ObjectKey, Action[]>();
  for (const action of actions) byObject.set(action.object, [...(byObject.get(action.object) ?? []), action]);
  return [...byObject].flatMap(([key, own]) => {
    const object = objects.get(key);
    return object && isProcessObject(object) && hasRequests(object) ? gateProcessStarts(own, object, observed.get(key) ?? [], admission) : own;
  });
}

/** A Job start was applied: a retry counts against backoffLimit, a requeue as a restart. */
export function countJobStart(deps: ReconcileDeps, action: StartAction): void {
  if (!action.jobRetry && !action.jobRequeue) return;
  const record = deps.history.get().get(action.object)?.job;
  if (!record || record.specHash !== action.specHash) return;
  deps.history.setJob(action.object, action.jobRetry ? { ...record, retries: record.retries + 1 } : { ...record, requeues: record.requeues + 1 });
}

/**
 * The scheduler's say over a Process with requests: a start it does not admit becomes a wait
 * (`Unschedulable`, or `Preempting`), and a preempted instance is stopped (reason `Preempted`)
 * to run again when it fits.
 */
export function gateProcessStarts(actions: readonly Action[], object: ProcessObject, instances: readonly ObservedInstance[], admission: Admission): Action[] {
  const gated = actions.map((action): Action => {
    if (action.type !== 'start' || action.fallback) return action;
    const verdict = admission(action.object, action.instance);
    if (verdict.kind === 'wait') return { type: 'wait', object: action.object, instance: action.instance, reason: 'Unschedulable', message: `${action.instance} waits: ${verdict.reason} (queue position ${verdict.position + 1})`, until: verdict.until ?? Infinity, shortfall: verdict.reason, queuePosition: verdict.position + 1 };
    if (verdict.kind === 'preempting') return { type: 'wait', object: action.object, instance: action.instance, reason: 'Preempting', message: `${action.instance} starts once ${verdict.victims.join(', ')} gave way`, until: Infinity };
    return action;
  });
  for (const instance of instances) {
    if (instance.state !== 'running' || actions.some((a) => a.instance === instance.id)) continue;
    const verdict = admission(object.key, instance.id);
    if (verdict.kind === 'preempt') gated.push({ ...stopAction(object.key, instance, object.spec.stop, 'Preempted', false, object.spec), message: `${instance.id} preempted by ${verdict.by}; stopping to run again later` });
  }
  return gated;
}
