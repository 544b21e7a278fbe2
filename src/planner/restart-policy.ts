/**
 * Restart policy: whether an instance that exited on its own is started again, and when.
 *
 * Owns: the policy table (Always, OnFailure, Never, UnlessStopped), the maxRestarts limit and
 * the backoff attempt bookkeeping (reset after a long run).
 * Must not: look at requested exits (the planner restarts those itself), read the clock or
 * decide about overrides (`tend stop` lives in override.ts).
 */
import type { ExitInfo, ObservedInstance } from '../model/instance.ts';
import type { ProcessSpec, RestartPolicy } from '../model/object.ts';
import type { SlotHistory } from '../model/history.ts';
import { backoffDelay } from './backoff.ts';

/**
 * Whether `policy` restarts after `exit`. `Always` and `UnlessStopped` restart after any exit,
 * `OnFailure` after a failed one (see {@link isFailedExit}), `Never` never.
 * Requested exits (`exit.requested`) are not the policy's business: callers handle them first.
 */
export function shouldRestart(policy: RestartPolicy, exit: ExitInfo): boolean {
  switch (policy) {
    case 'Always':
    case 'UnlessStopped':
      return true;
    case 'OnFailure':
      return isFailedExit(exit);
    case 'Never':
      return false;
  }
}

/**
 * Whether an exit is a failure: a non-zero (or unknown) code, death by a signal, a process found
 * gone (`Lost`) or one that never started (`SpawnError`).
 */
export function isFailedExit(exit: ExitInfo): boolean {
  return exit.reason !== 'Exited' || exit.signal !== null || exit.code !== 0;
}

/**
 * What to do after an unrequested exit:
 * - `restart`: start again at `at` (ms since the epoch) as backoff attempt `attempt`;
 * - `done`: the policy does not restart (the instance stays Succeeded or Failed);
 * - `exhausted`: the policy would restart but `maxRestarts` is used up (Failed).
 */
export type RestartVerdict =
  | { readonly kind: 'restart'; readonly attempt: number; readonly at: number }
  | { readonly kind: 'done' }
  | { readonly kind: 'exhausted' };

const DONE: RestartVerdict = { kind: 'done' };
const EXHAUSTED: RestartVerdict = { kind: 'exhausted' };

/**
 * Decides the restart after an unrequested exit of `instance`.
 *
 * A run of at least `backoff.resetAfter` (exit time minus start time) resets both the backoff
 * attempt and the failure count. The failure count checked against `maxRestarts` (0 = unlimited)
 * is the slot's `restarts`, counted only since the last reset: `min(restarts, backoffAttempt)`,
 * because `backoffAttempt` restarts from 0 after a long run or a requested restart, and
 * `restarts` restarts from 0 when the generation changes.
 */
export function restartVerdict(
  spec: ProcessSpec,
  instance: ObservedInstance,
  exit: ExitInfo,
  slot: SlotHistory | undefined,
): RestartVerdict {
  // `onExceed: kill` ends the instance for good, whatever the policy.
  if (exit.reason === 'ResourceKill' || !shouldRestart(spec.restartPolicy, exit)) return DONE;
  const longRun = exit.at - instance.startedAt >= spec.backoff.resetAfterMs;
  const attempt = longRun ? 0 : (slot?.backoffAttempt ?? 0);
  const failures = Math.min(slot?.restarts ?? 0, attempt);
  if (spec.maxRestarts > 0 && failures >= spec.maxRestarts) return EXHAUSTED;
  return { kind: 'restart', attempt, at: exit.at + backoffDelay(spec.backoff, attempt, instance.id) };
}
