/**
 * Phases: how `tend get` and `describe` summarise an instance and an object, derived from the
 * same observed state, history and plan the planner used, so status and actions never disagree.
 *
 * Owns: the phase and reason vocabulary of instances and objects, and `nextWake`.
 * Must not: decide actions (plan.ts does), read the clock, do I/O.
 */
import type { Action, Plan } from '../model/action.ts';
import type { ObjectHealth } from '../model/health.ts';
import type { ObjectHistory } from '../model/history.ts';
import type { ObservedInstance } from '../model/instance.ts';
import type { ProcessObject } from '../model/object.ts';
import { healthOf, isAvailable, isStarted, NO_HEALTH } from './health.ts';
import { isUserStopped } from './override.ts';
import { isFailedExit, restartVerdict } from './restart-policy.ts';
import { specOfInstance } from './revision.ts';

/**
 * Instance phases, as `tend get -o json` prints them. `Starting` is an instance in its preStart
 * hook, or a running one whose postStart hook or startup probe has not passed yet. `CircuitOpen` (circuit breaker) and `Suspended` (preempted
 * jobs) are part of the contract but not produced yet.
 */
export type InstancePhase =
  | 'Pending'
  | 'Starting'
  | 'Running'
  | 'Stopping'
  | 'Stopped'
  | 'Succeeded'
  | 'Failed'
  | 'BackOff'
  | 'CircuitOpen'
  | 'Suspended';

/**
 * Object phases: `Pending` (nothing runs yet), `Progressing` (starting, scaling, updating),
 * `Running` (every desired instance runs the current spec), `Succeeded` (every instance completed
 * and the policy does not restart), `Degraded` (some instances fail or back off), `Failed`
 * (instances failed for good and none is ready), `Stopping` / `Stopped` (`tend stop`),
 * `Terminating` (gone from the manifests, instances still being removed).
 */
export type ObjectPhase =
  | 'Pending'
  | 'Progressing'
  | 'Running'
  | 'Succeeded'
  | 'Degraded'
  | 'Failed'
  | 'Stopping'
  | 'Stopped'
  | 'Terminating';

/** A phase and the PascalCase reason for it. */
export interface InstanceStatus {
  readonly phase: InstancePhase;
  /**
   * `Started` (Running); `StartupProbe`, `PreStartHook`, `PostStartHook` (Starting); the stop reason while Stopping (`SpecChanged`, `UserStopped`, ...);
   * `CrashLoopBackOff` (BackOff); the planned start's reason (Pending: `Create`, `RestartPolicy`,
   * `SpecChanged`, ...) or `WaitingForUpdate` while Recreate holds starts; `UserStopped` or the
   * stop reason (Stopped); `Completed` (Succeeded); `MaxRestartsExceeded`, `Error` (non-zero
   * code), `Signaled`, `Lost`, `SpawnError` (Failed).
   */
  readonly reason: string;
}

/** An object's phase, reason and ready count (see {@link isInstanceReady}). */
export interface ObjectStatus {
  readonly phase: ObjectPhase;
  /** `Ready`, `Completed`, `UserStopped`, `Pruned`, `CrashLoopBackOff`, an instance's failure reason, or a planned action's reason. */
  readonly reason: string;
  readonly readyReplicas: number;
}

/**
 * The phase of one observed instance. `actions` is the plan computed from the same state (the
 * object's part of it, or the whole plan); it tells a restart waiting for backoff from one
 * that happens now.
 */
export function instancePhase(
  instance: ObservedInstance,
  object: ProcessObject | undefined,
  history: ObjectHistory | undefined,
  actions: Plan,
  health: ObjectHealth = NO_HEALTH,
): InstanceStatus {
  if (instance.state === 'starting') return { phase: 'Starting', reason: 'PreStartHook' };
  if (instance.state === 'running') {
    if (instance.hook === 'postStart') return { phase: 'Starting', reason: 'PostStartHook' };
    const started = object === undefined || isStarted(object.spec, healthOf(health, instance));
    return started ? { phase: 'Running', reason: 'Started' } : { phase: 'Starting', reason: 'StartupProbe' };
  }
  if (instance.state === 'stopping') return { phase: 'Stopping', reason: instance.stopReason ?? 'Stopping' };
  if (object !== undefined && isUserStopped(object, history)) return { phase: 'Stopped', reason: 'UserStopped' };
  const action = actions.find((a) => a.object === instance.object && a.instance === instance.id);
  if (action?.type === 'wait') return { phase: waitPhase(action.reason), reason: action.shortfall ?? action.reason };
  if (action?.type === 'start') return { phase: 'Pending', reason: action.reason };
  if (action?.type === 'stop' || instance.exit?.requested === true) {
    return { phase: 'Stopped', reason: action?.reason ?? instance.stopReason ?? 'Stopped' };
  }
  return settledPhase(instance, object, history);
}

// An exited instance the plan leaves alone.
function settledPhase(instance: ObservedInstance, object: ProcessObject | undefined, history: ObjectHistory | undefined): InstanceStatus {
  const exit = instance.exit;
  if (exit === undefined) return { phase: 'Failed', reason: 'Lost' };
  if (object !== undefined) {
    const verdict = restartVerdict(specOfInstance(object, history, instance), instance, exit, history?.slots[instance.replica]);
    if (verdict.kind === 'exhausted') return { phase: 'Failed', reason: 'MaxRestartsExceeded' };
    if (verdict.kind === 'restart') return { phase: 'Pending', reason: 'WaitingForUpdate' };
  }
  if (!isFailedExit(exit)) return { phase: 'Succeeded', reason: 'Completed' };
  if (exit.reason !== 'Exited') return { phase: 'Failed', reason: exit.reason };
  return { phase: 'Failed', reason: exit.signal === null ? 'Error' : 'Signaled' };
}

/**
 * Summarises an object from its instances and planned actions. `object` undefined: gone from
 * the manifests (`Terminating`). Failures come first (`Failed`, or `Degraded` while some
 * instance is ready), then back-off (`Degraded`), then convergence (`Running` or `Succeeded`
 * when no start, stop or restart is planned), else `Pending` (nothing running) or `Progressing`.
 */
export function objectPhase(
  object: ProcessObject | undefined,
  instances: readonly ObservedInstance[],
  history: ObjectHistory | undefined,
  actions: Plan,
  health: ObjectHealth = NO_HEALTH,
): ObjectStatus {
  if (object === undefined) return { phase: 'Terminating', reason: 'Pruned', readyReplicas: 0 };
  const readyReplicas = countReady(object, instances, health);
  if (isUserStopped(object, history)) {
    const live = instances.some((i) => i.state !== 'exited');
    return { phase: live ? 'Stopping' : 'Stopped', reason: 'UserStopped', readyReplicas };
  }
  const tally = tallySlots(object, instances, history, actions);
  if (tally.failed !== undefined) {
    return { phase: readyReplicas > 0 ? 'Degraded' : 'Failed', reason: tally.failed, readyReplicas };
  }
  if (tally.circuitOpen) return { phase: 'Degraded', reason: 'CircuitOpen', readyReplicas };
  if (tally.backOff) return { phase: 'Degraded', reason: 'CrashLoopBackOff', readyReplicas };
  const held = actions.find((a) => a.object === object.key && isDependencyWait(a));
  if (held) return { phase: instances.some((i) => i.state === 'running') ? 'Progressing' : 'Pending', reason: (held.type === 'wait' ? held.shortfall : undefined) ?? held.reason, readyReplicas };
  const pending = actions.find((a) => a.object === object.key && a.type !== 'wait');
  if (pending === undefined && readyReplicas + tally.succeeded >= object.spec.replicas) {
    const completed = readyReplicas === 0 && tally.succeeded > 0;
    return { phase: completed ? 'Succeeded' : 'Running', reason: completed ? 'Completed' : 'Ready', readyReplicas };
  }
  const phase = instances.some((i) => i.state === 'running') ? 'Progressing' : 'Pending';
  return { phase, reason: pending?.reason ?? phase, readyReplicas };
}

/** The earliest `until` of the plan's timed `wait` actions: when the controller should look again. */
export function nextWake(plan: Plan): number | undefined {
  let earliest: number | undefined;
  for (const action of plan) {
    if (action.type === 'wait' && Number.isFinite(action.until) && (earliest === undefined || action.until < earliest)) earliest = action.until;
  }
  return earliest;
}

/** Whether a wait holds a start for `dependsOn`. */
export function isDependencyWait(action: Action): boolean {
  return action.type === 'wait' && HELD.has(action.reason);
}

// Waits on something outside the object: a dependency, or room on the Node (the scheduler).
const HELD = new Set<Action['reason']>(['WaitingForDependency', 'DependencyFailure', 'Unschedulable', 'Preempting']);

function waitPhase(reason: Action['reason']): InstancePhase {
  if (reason === 'CircuitOpen') return 'CircuitOpen';
  return HELD.has(reason) ? 'Pending' : 'BackOff';
}

function countReady(object: ProcessObject, instances: readonly ObservedInstance[], health: ObjectHealth): number {
  let ready = 0;
  for (const i of instances) {
    if (i.replica < object.spec.replicas && i.specHash === object.specHash && isInstanceReady(object, i, health)) ready++;
  }
  return ready;
}

/**
 * Whether an instance is Ready: running, started, and passing its readiness probe when it has
 * one. `status.readyReplicas` counts the ready instances of the current spec only, so an object
 * whose rollout is held is not Running.
 */
export function isInstanceReady(object: ProcessObject | undefined, instance: ObservedInstance, health: ObjectHealth): boolean {
  return object !== undefined && instance.state === 'running' && instance.hook !== 'postStart' && isAvailable(object.spec, healthOf(health, instance));
}

interface SlotTally {
  /** Reason of the first Failed instance in a desired slot. */
  failed: string | undefined;
  backOff: boolean;
  circuitOpen: boolean;
  succeeded: number;
}

function tallySlots(
  object: ProcessObject,
  instances: readonly ObservedInstance[],
  history: ObjectHistory | undefined,
  actions: readonly Action[],
): SlotTally {
  const tally: SlotTally = { failed: undefined, backOff: false, circuitOpen: false, succeeded: 0 };
  for (const instance of instances) {
    if (instance.state !== 'exited' || instance.replica >= object.spec.replicas) continue;
    const { phase, reason } = instancePhase(instance, object, history, actions);
    if (phase === 'Failed') tally.failed ??= reason;
    else if (phase === 'BackOff') tally.backOff = true;
    else if (phase === 'CircuitOpen') tally.circuitOpen = true;
    else if (phase === 'Succeeded') tally.succeeded++;
  }
  return tally;
}
