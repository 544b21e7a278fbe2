/**
 * Builders for the actions the planner emits, with their human messages.
 *
 * Owns: the shape of each action (which fields a start, stop, restart or wait carries) and
 * the wording of messages. Reason codes are chosen by the caller.
 * Must not: decide anything (plan.ts does), read the clock or format times from it.
 */
import type { ActionReason, StartAction, StopAction, WaitAction } from '../model/action.ts';
import type { ObjectHealth } from '../model/health.ts';
import type { ObjectHistory } from '../model/history.ts';
import type { ObservedInstance } from '../model/instance.ts';
import type { ObjectKey, ProcessObject, ProcessSpec, ProgramSpec, StopPolicy } from '../model/object.ts';
import { specOfInstance } from './revision.ts';
import type { DependencyGate } from './dependencies.ts';
import type { ObjectBreaches } from './exhaustion.ts';

/** A desired Process object with what every action for it needs. */
export interface DesiredObject {
  readonly key: ObjectKey;
  readonly object: ProcessObject;
  readonly history: ObjectHistory | undefined;
  /** `history.generation`, or 1 before the controller has recorded the object. */
  readonly generation: number;
  readonly now: number;
  /** Probe observations of the object's instances. */
  readonly health: ObjectHealth;
  /** Whether its dependencies allow starts; absent means they do (or there are none). */
  readonly gate?: DependencyGate;
  /** Resource limits its running instances breached (onExceed restart or kill). */
  readonly breaches?: ObjectBreaches;
}

/** How a start counts for backoff: a fresh start, or a restart after an unrequested exit. */
export interface StartCount {
  readonly backoffAttempt: number;
  readonly countsAsRestart: boolean;
  /** The half-open circuit's one trial. */
  readonly circuitTrial?: boolean;
}

/** A first start, or a start after a requested exit: backoff begins again at attempt 0. */
export const FRESH_START: StartCount = { backoffAttempt: 0, countsAsRestart: false };

/**
 * Stop policy for instances whose object is gone from the manifests (its own policy went with
 * it): the schema's default, SIGTERM then SIGKILL after 10 s.
 */
export const PRUNE_STOP: StopPolicy = { signal: 'SIGTERM', gracePeriodMs: 10_000 };

/** The instance id of a replica slot: `web-0`. */
export function instanceId(object: ProcessObject, replica: number): string {
  return `${object.name}-${replica}`;
}

/** Starts the desired spec in slot `replica`. */
export function startAction(
  d: DesiredObject,
  replica: number,
  reason: ActionReason,
  count: StartCount,
  message: string,
): StartAction {
  const { object } = d;
  return {
    type: 'start',
    object: d.key,
    instance: instanceId(object, replica),
    reason,
    message,
    replica,
    spec: object.spec,
    specHash: object.specHash,
    generation: d.generation,
    backoffAttempt: count.backoffAttempt,
    countsAsRestart: count.countsAsRestart,
    ...(count.circuitTrial ? { circuitTrial: true } : {}),
  };
}

/**
 * Stops `instance`, or forgets an exited one when `forget`. A live instance's record is never
 * dropped with its stop: it stays until its exit has been seen and told, and the next plan
 * forgets it (so every end is told once, with its code or signal).
 */
export function stopAction(
  key: ObjectKey,
  instance: ObservedInstance,
  stop: StopPolicy,
  reason: ActionReason,
  forget: boolean,
  program?: ProgramSpec,
): StopAction {
  const action: StopAction = { type: 'stop', object: key, instance: instance.id, reason, message: stopMessage(instance, reason), stop, forget: forget && instance.state === 'exited' };
  return program === undefined ? action : { ...action, program };
}

/** What a stop of an instance needs to know of its object: its key, spec now, and history. */
export interface StopSource {
  readonly key: ObjectKey;
  readonly object: { readonly spec: ProcessSpec; readonly specHash: string };
  readonly history: ObjectHistory | undefined;
}

/**
 * Stops `instance` as the revision it was started with says (its stop signal, grace period and
 * preStop hook), not as the manifest says now; see `stopAction`.
 */
export function revisionStop(source: StopSource, instance: ObservedInstance, reason: ActionReason, forget: boolean): StopAction {
  const spec = specOfInstance(source.object, source.history, instance);
  return stopAction(source.key, instance, spec.stop, reason, forget, spec);
}

/**
 * Stops `instance` of an object the manifests no longer hold (or, at shutdown, any object) as the
 * revision the history keeps for it, else with PRUNE_STOP.
 */
export function keptRevisionStop(key: ObjectKey, history: ObjectHistory | undefined, instance: ObservedInstance, reason: ActionReason, forget: boolean): StopAction {
  const spec = history?.revisions?.[instance.specHash];
  return spec ? stopAction(key, instance, spec.stop, reason, forget, spec) : stopAction(key, instance, PRUNE_STOP, reason, forget);
}

/** Nothing to do for `instance` before `until`. */
export function waitAction(key: ObjectKey, instance: ObservedInstance, until: number, attempt: number): WaitAction {
  const message = `${instance.id} ${describeExit(instance)}; back-off ${until - (instance.exit?.at ?? until)}ms before restart attempt ${attempt + 1}`;
  return { type: 'wait', object: key, instance: instance.id, reason: 'CrashLoopBackOff', message, until };
}

/** How an instance ended, for messages: `exited with code 1`, `was killed by SIGKILL`, ... */
export function describeExit(instance: ObservedInstance): string {
  const exit = instance.exit;
  if (exit === undefined) return 'is gone';
  if (exit.reason === 'Lost') return 'was found gone';
  if (exit.reason === 'SpawnError') return `could not start${exit.message === undefined ? '' : `: ${exit.message}`}`;
  if (exit.reason === 'LivenessFailure') return 'was stopped after failing its liveness probe';
  if (exit.reason === 'StartupTimeout') return 'was stopped for not starting within startupTimeout';
  if (exit.reason === 'ResourceExhaustion') return `exceeded a resource limit: ${exit.message ?? exit.signal ?? 'unknown'}`;
  if (exit.reason === 'ResourceKill') return `was killed for exceeding a resource limit: ${exit.message ?? 'unknown'}`;
  if (exit.signal !== null) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code ?? 'unknown'}`;
}

const STOP_WORDING: Partial<Record<ActionReason, string>> = {
  ScaleDown: 'is beyond the desired replicas',
  Pruned: 'belongs to an object gone from the manifests',
  UserStopped: 'was stopped with tend stop',
  UserRestart: 'started before tend restart',
  SpecChanged: 'runs an outdated spec',
  LivenessFailure: 'failed its liveness probe',
  StartupTimeout: 'did not pass its startup probe within startupTimeout',
  Recycle: 'is a pool worker due for recycling (lease expired, or maxLeasesPerWorker served)',
  Shutdown: 'is stopped as the controller shuts down',
};

// A stop of an exited instance only forgets its record; say so.
function stopMessage(instance: ObservedInstance, reason: ActionReason): string {
  const why = STOP_WORDING[reason] ?? reason;
  return instance.state === 'exited' ? `${instance.id} ${why}; forgetting its exit` : `${instance.id} ${why}; stopping`;
}
