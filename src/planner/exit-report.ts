/**
 * Telling exits: each end of an instance becomes one `Exited` (or `Lost`) event with its code or
 * signal, its slot's last exit, and a failure record (and a circuit move) when it was a failure.
 * An exit the history already holds was told before, by this controller or an earlier one, and
 * is not told again.
 *
 * Must not: read the clock, do I/O.
 */
import type { ExitInfo, ObservedInstance } from '../model/instance.ts';
import type { ProcessObject } from '../model/object.ts';
import { describeExit } from './actions.ts';
import { CLOSED, recordFailure } from './circuit-breaker.ts';
import { classifyExit } from './failures.ts';
import { isExitRecorded } from './history-edit.ts';
import { edit, remember, tell, type KeyDraft } from './key-plan.ts';

/** Tells every exit among `instances` not told yet, oldest first. */
export function reportExits(draft: KeyDraft, instances: readonly ObservedInstance[], object: ProcessObject | undefined): void {
  let ended: ObservedInstance[] | undefined;
  for (const instance of instances) {
    if (instance.state !== 'exited' || instance.exit === undefined || isTold(draft, instance)) continue;
    (ended ??= []).push(instance);
  }
  if (ended === undefined) return;
  ended.sort((a, b) => (a.exit?.at ?? 0) - (b.exit?.at ?? 0));
  for (const instance of ended) if (instance.exit) reportExit(draft, instance, instance.exit, object);
}

function isTold(draft: KeyDraft, instance: ObservedInstance): boolean {
  if (instance.fallback) return draft.world.notes.told.has(instance);
  return isExitRecorded(draft.history, instance.replica, instance.exit?.at ?? 0);
}

function reportExit(draft: KeyDraft, instance: ObservedInstance, exit: ExitInfo, object: ProcessObject | undefined): void {
  // A fallback's end is no failure of the object's program: told as an event only.
  if (instance.fallback) remember(draft, { type: 'told', instance });
  else recordEnd(draft, instance, exit, object);
  if (exit.reason === 'SpawnError') return;
  const failed = !exit.requested && (exit.code !== 0 || exit.signal !== null);
  tell(draft, {
    at: exit.at,
    object: draft.key,
    instance: instance.id,
    type: failed ? 'Warning' : 'Normal',
    reason: exit.reason === 'Lost' ? 'Lost' : 'Exited',
    message: `${instance.id} (pid ${instance.pid}) ${describeExit(instance)}`,
  });
}

// Keeps how the slot's instance ended, and the failure when it was one.
function recordEnd(draft: KeyDraft, instance: ObservedInstance, exit: ExitInfo, object: ProcessObject | undefined): void {
  const type = classifyExit(exit, instance.stopReason);
  if (type === undefined) {
    edit(draft, { type: 'exit', replica: instance.replica, exit });
    return;
  }
  const { code: exitCode, signal, stderrTail } = exit;
  const failure = { at: exit.at, instance: instance.id, type, exitCode, signal, ...(stderrTail ? { stderrTail } : {}), ...(exit.message ? { message: exit.message } : {}) };
  edit(draft, { type: 'exit', replica: instance.replica, exit, failure });
  circuitOnFailure(draft, object, exit.at);
}

// A failure moves the circuit; its opening is told as a Warning.
function circuitOnFailure(draft: KeyDraft, object: ProcessObject | undefined, at: number): void {
  const policy = object?.spec.circuitBreaker;
  if (!object || !policy) return;
  const before = draft.history?.circuit ?? CLOSED;
  const after = recordFailure(before, policy, at);
  if (after === before) return;
  edit(draft, { type: 'circuit', circuit: after });
  if (after.state !== 'Open') return;
  const trial = new Date((after.openedAt ?? at) + policy.cooldownMs).toISOString();
  const why = before.state === 'HalfOpen' ? 'the trial failed' : `${policy.maxFailures} failures within ${policy.windowMs} ms`;
  tell(draft, { object: object.key, type: 'Warning', reason: 'CircuitOpened', message: `circuit opened: ${why}; no restart before ${trial}` });
}
