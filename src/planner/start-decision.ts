/**
 * Start decisions for one slot without a live instance: missing, or exited on its own or at
 * tend's request.
 *
 * The recovery state machine of one slot: restart policy, maxRestarts, backoff and its reset,
 * `tend stop|start|restart` and the object's circuit breaker, read together here. Phases are
 * what `tend get` shows; "count" is the slot's restarts since the last reset (checked against
 * maxRestarts), "attempt" its backoff attempt. Each row is a test in
 * test/controller/recovery-machine.test.ts.
 *
 * | #  | phase          | event                                          | next                        | effect                                                       |
 * |----|----------------|------------------------------------------------|-----------------------------|--------------------------------------------------------------|
 * | 1  | Running        | exit the policy restarts                       | BackOff                     | wait until exit + delay(attempt); delay ≤ maxDelay           |
 * | 2  | BackOff        | the delay has passed, circuit Closed           | Running                     | restart: count + 1, attempt + 1                              |
 * | 3  | Running        | exit after a run ≥ resetAfter                  | BackOff                     | attempt and count back to 0 (delay = initialDelay)           |
 * | 4  | Running        | exit with count = maxRestarts (> 0)            | Failed (MaxRestartsExceeded)| nothing starts, however long it waits                        |
 * | 5  | Running        | exit the policy does not restart               | Succeeded / Failed          | Never; OnFailure after exit 0                                |
 * | 6  | Running        | the maxFailures-th failure inside window       | CircuitOpen                 | no restart before openedAt + cooldown; fallback runs         |
 * | 7  | CircuitOpen    | cooldown passed, backoff due, no fallback live | Running (trial, HalfOpen)   | exactly one trial start for the object; counts as a restart  |
 * | 8  | CircuitOpen    | cooldown passed, the slot's fallback live      | CircuitOpen                 | the fallback stops first; the trial waits until it is gone   |
 * | 9  | Running (trial)| Ready, or ran resetAfter                       | Running, circuit Closed     | fallbacks stop; failures count from 0                        |
 * | 10 | Running (trial)| exit (a failure)                               | CircuitOpen                 | openedAt = the exit; fallback runs again                     |
 * | 11 | any            | tend stop                                      | Stopped                     | instances and fallbacks stop; nothing starts; UnlessStopped: kept across manifest edits |
 * | 12 | Stopped        | tend start                                     | as before the stop          | a stopped instance starts fresh (attempt 0); a crashed one follows rows 1-8 |
 * | 13 | any            | tend restart                                   | Running                     | circuit Closed (operator override), fresh start: count 0, attempt 0 |
 * | 14 | any            | controller restart (even SIGKILL)              | unchanged                   | history, circuit and override from the state file; instances and fallbacks adopted |
 * | 15 | Running (old revision, rollout held) | exit its own policy restarts | BackOff                     | rows 1-4 with its own revision's policy, maxRestarts and backoff; restarts as that revision |
 * | 16 | Running (old revision)         | exit, with room in the rollout or its own policy not restarting | Pending (SpecChanged) | the new revision starts in the slot at once |
 *
 * Owns: the choice between a fresh start, a counted restart after backoff, a `wait`, and
 * leaving the instance as it is (Succeeded / Failed).
 * Must not: replace live instances (update-strategy.ts does), apply `tend stop` (plan.ts does
 * before calling here), read the clock (`now` comes in with the object), do I/O.
 */
import type { Action, WaitAction } from '../model/action.ts';
import type { ExitInfo, ObservedInstance } from '../model/instance.ts';
import type { ProcessSpec } from '../model/object.ts';
import type { DesiredObject } from './actions.ts';
import { FRESH_START, describeExit, startAction, waitAction } from './actions.ts';
import { circuitState, halfOpenAt, mayStart } from './circuit-breaker.ts';
import type { DependencyGate } from './dependencies.ts';
import { isRestartRequested } from './override.ts';
import { withReplacement } from './recovery.ts';
import { restartVerdict } from './restart-policy.ts';
import { keptRevisionOf } from './revision.ts';

/**
 * What to do with a desired slot that has no running or stopping instance: start a missing
 * slot (`Create`, or `ScaleUp` when the object has instances already); start an exited one at
 * once when it ran an outdated spec (`SpecChanged`), started before `tend restart`
 * (`UserRestart`) or was stopped by tend (`RestartPolicy`), all as fresh starts; otherwise
 * follow the restart policy: `wait` (`CrashLoopBackOff`) until the backoff delay has passed,
 * then `start` (`RestartPolicy`) counting a restart, or nothing when the policy or
 * `maxRestarts` says so. An instance of a kept earlier revision that ended on its own while
 * `rollout` is `held` follows its own revision's policy instead, and restarts as that revision
 * (or, when that policy does not restart it, gives its slot to the new revision).
 */
export function startDecision(
  d: DesiredObject,
  replica: number,
  instance: ObservedInstance | undefined,
  hasInstances: boolean,
  rollout: RolloutRoom = 'free',
): Action | undefined {
  const action = instance === undefined ? missingDecision(d, replica, hasInstances) : exitedDecision(d, instance, exitInfoOf(instance), rollout);
  return action?.type === 'start' && d.gate !== undefined && d.gate.kind !== 'met' ? dependencyWait(action, d.gate) : action;
}

/**
 * Whether the update may take the slot of an instance of an earlier revision that ended on its
 * own: `free` (the new revision starts there at once) or `held` (the rolling update has no room
 * for it: the instance is judged by its own revision's restart policy, maxRestarts and backoff,
 * and restarts as that revision, as a Kubernetes ReplicaSet's pod restarts its own container;
 * only when that policy does not restart it does the new revision take the slot).
 */
export type RolloutRoom = 'free' | 'held';

function missingDecision(d: DesiredObject, replica: number, hasInstances: boolean): Action {
  const reason = hasInstances ? 'ScaleUp' : 'Create';
  const message = `starting replica ${replica} of ${d.object.spec.replicas}`;
  return startAction(d, replica, reason, FRESH_START, message);
}

// A start held by `dependsOn`: no deadline, a change of the dependency wakes the object.
function dependencyWait(start: Action, gate: DependencyGate & { readonly kind: 'waiting' | 'failed' }): WaitAction {
  const reason = gate.kind === 'failed' ? 'DependencyFailure' : 'WaitingForDependency';
  return { type: 'wait', object: start.object, instance: start.instance, reason, message: `${start.instance} ${gate.message}`, until: Infinity };
}

// An exited instance: a fresh start when it is outdated or we stopped it, else the restart policy.
// An outdated one that a held rollout leaves in its slot restarts by the policy of the revision
// it ran, as that revision; when that policy does not restart it, the new revision takes the slot.
function exitedDecision(d: DesiredObject, instance: ObservedInstance, exit: ExitInfo, rollout: RolloutRoom): Action | undefined {
  const fresh = freshStartReason(d, instance, exit);
  const revision = rollout === 'held' && fresh === 'SpecChanged' && !exit.requested ? keptRevisionOf(d.object, d.history, instance) : undefined;
  if (revision !== undefined && restartVerdict(revision, instance, exit, d.history?.slots[instance.replica]).kind === 'restart') {
    return restartDecision(d, instance, exit, revision);
  }
  if (fresh !== undefined) {
    return withReplacement(d, instance, startAction(d, instance.replica, fresh, FRESH_START, `${instance.id} ${describeExit(instance)}; starting again`));
  }
  return restartDecision(d, instance, exit, d.object.spec);
}

// The restart policy, maxRestarts and backoff of `spec` (the revision the instance ran) after an
// unrequested exit, and the object's circuit breaker; a restart starts that same revision.
function restartDecision(d: DesiredObject, instance: ObservedInstance, exit: ExitInfo, spec: ProcessSpec): Action | undefined {
  const verdict = restartVerdict(spec, instance, exit, d.history?.slots[instance.replica]);
  if (verdict.kind !== 'restart') return undefined;
  const gate = circuitGate(d);
  if (gate.kind === 'open') return circuitWait(d, instance, gate.until);
  if (gate.kind === 'trial-running') return undefined;
  if (d.now < verdict.at) return waitAction(d.key, instance, verdict.at, verdict.attempt);
  const count = { backoffAttempt: verdict.attempt + 1, countsAsRestart: true, ...(gate.kind === 'trial' ? { circuitTrial: true } : {}) };
  const trial = gate.kind === 'trial' ? '; the circuit is half-open: trial start' : '';
  const own = spec === d.object.spec ? '' : ` as its own revision ${instance.specHash} (the rollout is held)`;
  const message = `${instance.id} ${describeExit(instance)}; restarting${own} (attempt ${verdict.attempt + 1})${trial}`;
  const start = startAction(d, instance.replica, 'RestartPolicy', count, message);
  return withReplacement(d, instance, own === '' ? start : { ...start, spec, specHash: instance.specHash, generation: instance.generation });
}

type CircuitGate = { readonly kind: 'closed' | 'trial' | 'trial-running' } | { readonly kind: 'open'; readonly until: number };

// What the object's circuit breaker allows: restarts, the one half-open trial, or nothing yet.
function circuitGate(d: DesiredObject): CircuitGate {
  const policy = d.object.spec.circuitBreaker;
  const record = d.history?.circuit;
  if (!policy || !record) return { kind: 'closed' };
  const state = circuitState(record, policy, d.now);
  if (state === 'Closed') return { kind: 'closed' };
  if (state === 'Open') return { kind: 'open', until: halfOpenAt(record, policy) ?? d.now };
  return mayStart(record, policy, d.now) ? { kind: 'trial' } : { kind: 'trial-running' };
}

function circuitWait(d: DesiredObject, instance: ObservedInstance, until: number): Action {
  const message = `${instance.id} ${describeExit(instance)}; the circuit is open: no restart before ${new Date(until).toISOString()}`;
  return { type: 'wait', object: d.key, instance: instance.id, reason: 'CircuitOpen', message, until };
}

function freshStartReason(d: DesiredObject, instance: ObservedInstance, exit: ExitInfo): 'SpecChanged' | 'UserRestart' | 'RestartPolicy' | undefined {
  if (instance.specHash !== d.object.specHash) return 'SpecChanged';
  if (isRestartRequested(instance, d.history)) return 'UserRestart';
  return exit.requested ? 'RestartPolicy' : undefined;
}

/** The exit of an exited instance; one without details counts as found gone at its start time. */
export function exitInfoOf(instance: ObservedInstance): ExitInfo {
  return instance.exit ?? { code: null, signal: null, at: instance.startedAt, reason: 'Lost', requested: false };
}
