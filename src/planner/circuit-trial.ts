/**
 * The half-open circuit's trial verdict: a trial instance that is Ready (with a readiness probe)
 * or has run `backoff.resetAfter` closes the circuit. Its failure reopens it (exit-report.ts).
 *
 * Must not: read the clock, do I/O.
 */
import type { ObservedInstance } from '../model/instance.ts';
import type { ProcessObject } from '../model/object.ts';
import { recordTrialSuccess } from './circuit-breaker.ts';
import { NO_HEALTH } from './health.ts';
import { edit, tell, type KeyDraft } from './key-plan.ts';
import { isInstanceReady } from './phase.ts';

/**
 * Closes a half-open circuit whose trial has proven itself; returns when to look again while the
 * trial runs without a verdict: when it will have run its resetAfter (a probe turning Ready or an
 * exit wakes the key sooner).
 */
export function checkCircuitTrial(draft: KeyDraft, object: ProcessObject | undefined, instances: readonly ObservedInstance[]): number | undefined {
  if (!object?.spec.circuitBreaker) return undefined;
  const record = draft.history?.circuit;
  if (record?.state !== 'HalfOpen' || record.trialAt === undefined) return undefined;
  const trialAt = record.trialAt;
  const trial = instances.find((i) => i.state === 'running' && i.startedAt >= trialAt);
  if (!trial) return undefined;
  const { now, health } = draft.world;
  const probed = object.spec.probes.readiness !== undefined;
  const ranLongEnough = now - trial.startedAt >= object.spec.backoff.resetAfterMs;
  const ready = probed && isInstanceReady(object, trial, health?.get(object.key) ?? NO_HEALTH);
  // Not ready yet: a probe turning Ready wakes the key sooner, and its resetAfter is due then.
  if (!ready && !ranLongEnough) return trial.startedAt + object.spec.backoff.resetAfterMs;
  edit(draft, { type: 'circuit', circuit: recordTrialSuccess(record) });
  tell(draft, { object: object.key, instance: trial.id, type: 'Normal', reason: 'CircuitClosed', message: `circuit closed: ${trial.id} ${ready ? 'is ready' : 'ran its resetAfter'}` });
  return undefined;
}
