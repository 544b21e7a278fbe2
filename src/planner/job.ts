/**
 * The Job planner: from a Job's run (job-state.ts) and the scheduler's verdicts, the actions for
 * its instances: start what is admitted, wait for what does not fit, suspend, resume or requeue
 * what is preempted, kill what ran past its deadline, stop what is left when the run ends, and
 * forget a finished run's instances once `ttlAfterFinished` has passed.
 *
 * Owns: turning a run and its verdicts into actions (reason codes and messages).
 * Must not: read the clock, do I/O, or decide capacity (the verdicts come in through `admission`).
 */
import type { Action, StartAction } from '../model/action.ts';
import type { ObservedInstance } from '../model/instance.ts';
import { ADMIT_ALL, type Admission, type Verdict } from './admission.ts';
import { revisionStop, stopAction, waitAction } from './actions.ts';
import { jobState, type JobContext, type JobState, type JobWant } from './job-state.ts';

/** The actions for one Job and the run they come from. */
export interface JobPlan {
  readonly state: JobState;
  readonly actions: readonly Action[];
}

/**
 * Plans one Job. Outdated instances (another spec) are stopped and forgotten first; a new run
 * starts once none of them is live. Then, per live instance: a deadline kill (`Timeout`), or the
 * scheduler's preemption (`suspend`, or a stop with reason `Preempted` for `requeue`) or resume;
 * per wanted start: `start` when admitted, else a `wait` (`Unschedulable` with the scheduler's
 * reason, `Preempting` while its victims give way). A finished run stops what still runs
 * (`JobFinished`) and, after `ttlAfterFinished`, forgets its instances (`TtlExpired`).
 */
export function planJob(ctx: JobContext & { readonly generation: number }, admission: Admission = ADMIT_ALL, state: JobState = jobState(ctx)): JobPlan {
  const { key, object } = ctx;
  const actions: Action[] = [];
  for (const i of state.outdated) {
    if (i.state !== 'stopping') actions.push(revisionStop(ctx, i, i.specHash === object.specHash ? 'Replaced' : 'SpecChanged', true));
  }
  if (state.record.finished) {
    planFinished(ctx, state, actions);
    return { state, actions };
  }
  if (state.phase === 'Stopped') {
    for (const i of state.live) if (i.state !== 'stopping') actions.push(revisionStop(ctx, i, 'UserStopped', false));
    return { state, actions };
  }
  for (const i of state.overdue) actions.push({ ...revisionStop(ctx, i, 'Timeout', false), message: `${i.id} ran past activeDeadline ${object.spec.activeDeadlineMs}ms; killing` });
  for (const i of state.live) {
    if (state.overdue.includes(i)) continue;
    const action = liveAction(ctx, i, admission(key, i.id));
    if (action) actions.push(action);
  }
  for (const b of state.backingOff) actions.push(waitAction(key, b.instance, b.until, b.attempt));
  for (const want of state.wants) actions.push(wantAction(ctx, want, admission(key, want.id)));
  return { state, actions };
}

function planFinished(ctx: JobContext, state: JobState, actions: Action[]): void {
  const { key, object, now } = ctx;
  const finished = state.record.finished;
  if (!finished) return;
  for (const i of state.live) if (i.state !== 'stopping') actions.push(revisionStop(ctx, i, 'JobFinished', false));
  const ttl = object.spec.ttlAfterFinishedMs;
  if (ttl <= 0 || state.record.forgotten || now < finished.at + ttl) return;
  for (const i of ctx.instances) if (i.state === 'exited') actions.push(stopAction(key, i, object.spec.stop, 'TtlExpired', true));
}

// A live instance: what the scheduler says of it (a stopping one is left alone).
function liveAction(ctx: JobContext, instance: ObservedInstance, verdict: Verdict): Action | undefined {
  if (instance.state !== 'running') return undefined;
  const { key } = ctx;
  const suspended = instance.suspendedAt !== undefined;
  if (verdict.kind === 'preempt' && !suspended) {
    if (verdict.mode === 'requeue') return { ...revisionStop(ctx, instance, 'Preempted', false), message: `${instance.id} preempted by ${verdict.by}; stopping to run again later` };
    return { type: 'suspend', object: key, instance: instance.id, reason: verdict.reason, message: `${instance.id} ${verdict.reason === 'Preempted' ? `preempted by ${verdict.by}` : 'time slice over'}; suspending` };
  }
  if (verdict.kind === 'resume' && suspended) return { type: 'resume', object: key, instance: instance.id, reason: 'Resumed', message: `${instance.id} fits again; resuming` };
  // A suspended instance waits like a pending one: looked at again when aging or a slice may let it in.
  if (verdict.kind === 'wait' && suspended) {
    return { type: 'wait', object: key, instance: instance.id, reason: 'Unschedulable', message: `${instance.id} stays suspended: ${verdict.reason}`, until: verdict.until ?? Infinity, shortfall: verdict.reason, queuePosition: verdict.position + 1 };
  }
  return undefined;
}

function wantAction(ctx: JobContext & { readonly generation: number }, want: JobWant, verdict: Verdict): Action {
  const { key } = ctx;
  if (verdict.kind === 'wait') {
    const message = `${want.id} waits: ${verdict.reason} (queue position ${verdict.position + 1})`;
    return { type: 'wait', object: key, instance: want.id, reason: 'Unschedulable', message, until: verdict.until ?? Infinity, shortfall: verdict.reason, queuePosition: verdict.position + 1 };
  }
  if (verdict.kind === 'preempting') {
    return { type: 'wait', object: key, instance: want.id, reason: 'Preempting', message: `${want.id} starts once ${verdict.victims.join(', ')} gave way`, until: Infinity };
  }
  return jobStart(ctx, want);
}

function jobStart(ctx: JobContext & { readonly generation: number }, want: JobWant): StartAction {
  const { key, object, generation } = ctx;
  const what = want.kind === 'retry' ? `retrying (attempt ${want.attempt})` : want.kind === 'requeue' ? 'running again after preemption' : `starting completion ${want.index + 1} of ${object.spec.completions}`;
  return {
    type: 'start',
    object: key,
    instance: want.id,
    reason: want.kind === 'fresh' ? 'Create' : 'JobRun',
    message: `${want.id} ${what}`,
    replica: want.index,
    spec: object.spec,
    specHash: object.specHash,
    generation,
    backoffAttempt: want.kind === 'retry' ? want.attempt : 0,
    countsAsRestart: want.kind !== 'fresh',
    ...(want.kind === 'retry' ? { jobRetry: true as const } : {}),
    ...(want.kind === 'requeue' ? { jobRequeue: true as const } : {}),
  };
}
