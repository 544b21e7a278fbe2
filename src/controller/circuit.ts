/**
 * The controller's side of the circuit breaker: it moves the object's circuit record (kept in
 * the history store, so it survives a controller restart) on failures, trial starts and trial
 * outcomes, and tells each move as an event. The transitions themselves are the pure functions
 * of `planner/circuit-breaker.ts`; the planner reads the record to hold restarts.
 */
import type { ObservedInstance } from '../model/instance.ts';
import type { ProcessObject } from '../model/object.ts';
import { CLOSED, recordFailure, recordTrial, recordTrialSuccess } from '../planner/circuit-breaker.ts';
import { isInstanceReady } from '../planner/phase.ts';
import { NO_HEALTH } from '../planner/health.ts';
import type { ReconcileDeps } from './reconcile.ts';

/** A failure of one of the object's instances at `at`. */
export function circuitOnFailure(deps: ReconcileDeps, object: ProcessObject | undefined, at: number): void {
  const policy = object?.spec.circuitBreaker;
  if (!object || !policy) return;
  const before = deps.history.get().get(object.key)?.circuit ?? CLOSED;
  const after = recordFailure(before, policy, at);
  deps.history.setCircuit(object.key, after);
  if (after.state !== 'Open' || after === before) return;
  const trial = new Date((after.openedAt ?? at) + policy.cooldownMs).toISOString();
  const why = before.state === 'HalfOpen' ? 'the trial failed' : `${policy.maxFailures} failures within ${policy.windowMs} ms`;
  deps.events.record({ object: object.key, type: 'Warning', reason: 'CircuitOpened', message: `circuit opened: ${why}; no restart before ${trial}` });
}

/** The half-open trial instance was started at `at` (its own start time, so the trial can be told apart). */
export function circuitOnTrial(deps: ReconcileDeps, object: ProcessObject | undefined, instance: string, at: number): void {
  const policy = object?.spec.circuitBreaker;
  const before = object && deps.history.get().get(object.key)?.circuit;
  if (!object || !policy || !before) return;
  deps.history.setCircuit(object.key, recordTrial(before, policy, at));
  deps.events.record({ object: object.key, instance, type: 'Normal', reason: 'CircuitHalfOpen', message: `circuit half-open: ${instance} is the trial` });
}

/**
 * Closes a half-open circuit whose trial is Ready (with a readiness probe) or has run
 * `backoff.resetAfter`; returns when to look again while the trial runs without a verdict.
 */
export function circuitCheckTrial(deps: ReconcileDeps, object: ProcessObject | undefined, instances: readonly ObservedInstance[]): number | undefined {
  if (!object?.spec.circuitBreaker) return undefined;
  const record = deps.history.get().get(object.key)?.circuit;
  if (record?.state !== 'HalfOpen' || record.trialAt === undefined) return undefined;
  const trial = instances.find((i) => i.state === 'running' && i.startedAt >= (record.trialAt ?? Infinity));
  if (!trial) return undefined;
  const now = deps.clock.now();
  const probed = object.spec.probes.readiness !== undefined;
  const ranLongEnough = now - trial.startedAt >= object.spec.backoff.resetAfterMs;
  const ready = probed && isInstanceReady(object, trial, deps.health?.().get(object.key) ?? NO_HEALTH);
  if (!ready && !ranLongEnough) return probed ? undefined : trial.startedAt + object.spec.backoff.resetAfterMs;
  deps.history.setCircuit(object.key, recordTrialSuccess(record));
  deps.events.record({ object: object.key, instance: trial.id, type: 'Normal', reason: 'CircuitClosed', message: `circuit closed: ${trial.id} ${ready ? 'is ready' : 'ran its resetAfter'}` });
  return undefined;
}
