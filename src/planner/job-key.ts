/**
 * The Job half of planning a key: the run's actions with the scheduler's verdicts, the run record
 * to keep, and the end of a run told once (`Completed`, `DeadlineExceeded`, `BackoffLimitExceeded`).
 *
 * Must not: read the clock, do I/O.
 */
import type { ObservedInstance } from '../model/instance.ts';
import type { JobObject, JobRecord } from '../model/job.ts';
import { planJob } from './job.ts';
import { earliestWait, edit, finishDraft, forgetUnusedRevisions, tell, type KeyDraft, type KeyPlan } from './key-plan.ts';

/** Plans a Job key whose exits `draft` has already told. */
export function planJobKey(draft: KeyDraft, object: JobObject, instances: readonly ObservedInstance[]): KeyPlan {
  const { world, key } = draft;
  const history = draft.history;
  const { state, actions } = planJob({ key, object, instances, history, now: world.now, generation: history?.generation ?? 1 }, world.admission);
  let record = state.record;
  if (actions.some((a) => a.reason === 'TtlExpired')) record = { ...record, forgotten: true };
  if (record !== history?.job) {
    if (record.finished && !history?.job?.finished) tellFinished(draft, record);
    edit(draft, { type: 'job', record });
  }
  forgetUnusedRevisions(draft, instances);
  return finishDraft(draft, actions, earliestWait(actions, state.wakeAt));
}

function tellFinished(draft: KeyDraft, record: JobRecord): void {
  const finished = record.finished;
  if (!finished) return;
  const ok = finished.phase === 'Succeeded';
  const reason = ok ? 'Completed' : finished.reason === 'Timeout' ? 'DeadlineExceeded' : finished.reason;
  const message = ok ? 'every completion succeeded' : finished.reason === 'Timeout' ? 'an instance ran past activeDeadline; the Job failed' : `the Job failed (${finished.reason}) after ${record.retries} retries`;
  tell(draft, { object: draft.key, type: ok ? 'Normal' : 'Warning', reason, message });
}
