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
 *
 * Owns: the choice between a fresh start, a counted restart after backoff, a `wait`, and
 * leaving the instance as it is (Succeeded / Failed).
 * Must not: replace live instances (update-strategy.ts does), apply `tend stop` (plan.ts does
 * before calling here), read the clock (`now` comes in with the object), do I/O.
 */
import type { Action, WaitAction } from '../model/action.ts';
import type { ExitInfo, ObservedInstance } from '../model/instance.ts';
import type { DesiredObject } from './actions.ts';
import { FRESH_START, describeExit, startAction, waitAction } from './actions.ts';
import { circuitState, halfOpenAt, mayStart } from './circuit-breaker.ts';
import type { DependencyGate } from './dependencies.ts';
import { isRestartRequested } from './override.ts';
import { withReplacement } from './recovery.ts';
import { restartVerdict } from './restart-policy.ts';

/**
 * What to do with a desired slot that has no running or stopping instance: start a missing
 * slot (`Create`, or `ScaleUp` when the object has instances already); start an exited one at
 * once when it ran an outdated spec (`SpecChanged`), started before `tend restart`
 * (`UserRestart`) or was stopped by tend (`RestartPolicy`), all as fresh starts; otherwise
 * follow the restart policy: `wait` (`CrashLoopBackOff`) until the backoff delay has passed,
 * then `start` (`RestartPolicy`) counting a restart, or nothing when the policy or
 * `maxRestarts` says so.
 */
export function startDecision(
  d: DesiredObject,
  replica: number,
  instance: ObservedInstance | undefined,
  hasInstances: boolean,
): Action | undefined {
  const action = instance === undefined ? missingDecision(d, replica, hasInstances) : exitedDecision(d, instance, exitInfoOf(instance));
  return action?.type === 'start' && d.gate !== undefined && d.gate.kind !== 'met' ? dependencyWait(action, d.gate) : action;
}

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
function exitedDecision(d: DesiredObject, instance: ObservedInstance, exit: ExitInfo): Action | undefined {
  const fresh = freshStartReason(d, instance, exit);
  if (fresh !== undefined) {
    return withReplacement(d, instance, startAction(d, instance.replica, fresh, FRESH_START, `${instance.id} ${describeExit(instance)}; starting again`));
  }
  const verdict = restartVerdict(d.object.spec, instance, exit, d.history?.slots[instance.replica]);
  if (verdict.kind !== 'restart') return undefined;
  const gate = circuitGate(d);
  if (gate.kind === 'open') return circuitWait(d, instance, gate.until);
  if (gate.kind === 'trial-running') return undefined;
  if (d.now < verdict.at) return waitAction(d.key, instance, verdict.at, verdict.attempt);
  const count = { backoffAttempt: verdict.attempt + 1, countsAsRestart: true, ...(gate.kind === 'trial' ? { circuitTrial: true } : {}) };
  const trial = gate.kind === 'trial' ? '; the circuit is half-open: trial start' : '';
  const message = `${instance.id} ${describeExit(instance)}; restarting (attempt ${verdict.attempt + 1})${trial}`;
  return withReplacement(d, instance, startAction(d, instance.replica, 'RestartPolicy', count, message));
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
