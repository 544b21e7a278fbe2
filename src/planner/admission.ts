/**
 * What the scheduler's decision means for one instance, as the Job and Process planners read it.
 *
 * Owns: the verdict vocabulary between the scheduling pass and the planners.
 * Must not: schedule anything (src/scheduler does), read the clock or do I/O.
 */
import type { ObjectKey } from '../model/object.ts';
import type { PreemptReason, PreemptionMode } from '../scheduler/types.ts';

/**
 * - `admit`: a waiting instance may start; `resume`: a suspended one may continue;
 * - `preempt`: a running one gives its place back (suspend, or stop to run again later);
 * - `preempting`: admitted once the instances it preempts have given their place back;
 * - `wait`: it does not fit; `reason` says why (`Insufficient cpu`), `position` is its place in
 *   the queue (0 is next), `until` when aging or a time slice may change that;
 * - `none`: nothing to do (a running instance keeps its place).
 */
export type Verdict =
  | { readonly kind: 'admit' | 'resume' | 'none' }
  | { readonly kind: 'preempt'; readonly mode: PreemptionMode; readonly reason: PreemptReason; readonly by: string }
  | { readonly kind: 'preempting'; readonly victims: readonly string[] }
  | { readonly kind: 'wait'; readonly reason: string; readonly position: number; readonly until?: number };

/** The verdict for instance `instance` of `object`. */
export type Admission = (object: ObjectKey, instance: string) => Verdict;

const ADMIT: Verdict = { kind: 'admit' };

/** Everything fits: what planning without a scheduler means. */
export const ADMIT_ALL: Admission = () => ADMIT;

/** The scheduler's unit id of an instance: unique across objects (`job/report/report-0`). */
export function unitIdOf(object: ObjectKey, instance: string): string {
  return `${object}/${instance}`;
}
