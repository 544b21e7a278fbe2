/**
 * Operator overrides as the planner reads them from history: `tend stop` and `tend restart`.
 *
 * Owns: when a recorded override still applies.
 * Must not: record or clear overrides (the controller's store does), read the clock.
 */
import type { ObjectHistory } from '../model/history.ts';
import type { ObservedInstance } from '../model/instance.ts';
import type { ProcessObject } from '../model/object.ts';

/**
 * Whether `tend stop` holds the object stopped. A stop applies while it was given at the
 * object's current generation; for restartPolicy `UnlessStopped` it applies regardless of the
 * generation, so it outlives manifest edits (and controller restarts) until `tend start`
 * clears it, as Docker's `unless-stopped` does.
 */
export function isUserStopped(object: ProcessObject, history: ObjectHistory | undefined): boolean {
  const override = history?.override;
  if (history === undefined || override?.type !== 'stopped') return false;
  return override.generation === history.generation || object.spec.restartPolicy === 'UnlessStopped';
}

/** Whether `tend restart` asks for `instance` to be replaced: it started before the request. */
export function isRestartRequested(instance: ObservedInstance, history: ObjectHistory | undefined): boolean {
  const at = history?.restartRequestedAt;
  return at !== undefined && instance.startedAt < at;
}
