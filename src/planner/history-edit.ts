/**
 * History edits: what a plan says to write into an object's history (an exit seen, a circuit
 * move, a Job's run record, a dropped object), as data. The planner applies them to its own view
 * of the object while it plans; the controller applies the same edits to its store afterwards.
 *
 * Owns: the meaning of each edit ({@link editHistory}).
 * Must not: read the clock, do I/O, or mutate its input.
 */
import type { CircuitRecord, FailureRecord } from '../model/failure.ts';
import type { ObjectHistory, SlotHistory } from '../model/history.ts';
import type { ExitInfo } from '../model/instance.ts';
import type { JobRecord } from '../model/job.ts';
import type { ProcessSpec } from '../model/object.ts';
import { appendFailure } from './failures.ts';

/** One change of one object's history. */
export type HistoryEdit =
  /** An instance in `replica` ended; `failure` when the end was one. */
  | { readonly type: 'exit'; readonly replica: number; readonly exit: ExitInfo; readonly failure?: FailureRecord }
  /** The circuit breaker moved. */
  | { readonly type: 'circuit'; readonly circuit: CircuitRecord }
  /** A Job's run record changed. */
  | { readonly type: 'job'; readonly record: JobRecord }
  /** The object and every instance of it are gone: forget it. */
  | { readonly type: 'drop' }
  /** Slots at or above `replicas` are gone. */
  | { readonly type: 'trimSlots'; readonly replicas: number }
  /** Instances run `spec` (hash `specHash`), a revision the manifest no longer holds. */
  | { readonly type: 'revision'; readonly specHash: string; readonly spec: ProcessSpec }
  /** No instance runs these revisions any more. */
  | { readonly type: 'forgetRevisions'; readonly specHashes: readonly string[] };

const EMPTY_SLOT: SlotHistory = { restarts: 0, backoffAttempt: 0 };

/** `entry` with `edit` applied; undefined once dropped. */
export function editHistory(entry: ObjectHistory | undefined, edit: HistoryEdit): ObjectHistory | undefined {
  if (edit.type === 'drop') return undefined;
  const base: ObjectHistory = entry ?? { generation: 0, contentHash: '', slots: {} };
  switch (edit.type) {
    case 'exit': {
      const slots = { ...base.slots, [edit.replica]: { ...(base.slots[edit.replica] ?? EMPTY_SLOT), lastExit: edit.exit } };
      return edit.failure ? { ...base, slots, failures: appendFailure(base.failures ?? [], edit.failure) } : { ...base, slots };
    }
    case 'circuit':
      return { ...base, circuit: edit.circuit };
    case 'job':
      return { ...base, job: edit.record };
    case 'trimSlots':
      return { ...base, slots: Object.fromEntries(Object.entries(base.slots).filter(([i]) => Number(i) < edit.replicas)) };
    case 'revision':
      return { ...base, revisions: { ...base.revisions, [edit.specHash]: edit.spec } };
    case 'forgetRevisions':
      return withoutRevisions(base, edit.specHashes);
  }
}

function withoutRevisions(entry: ObjectHistory, gone: readonly string[]): ObjectHistory {
  const kept = Object.entries(entry.revisions ?? {}).filter(([hash]) => !gone.includes(hash));
  const { revisions: _dropped, ...rest } = entry;
  return kept.length === 0 ? rest : { ...rest, revisions: Object.fromEntries(kept) };
}

/** `entry` with every edit applied in order (the slots copied once, however many exits). */
export function editAll(entry: ObjectHistory | undefined, edits: readonly HistoryEdit[]): ObjectHistory | undefined {
  let run: EditRun = { entry, slots: undefined };
  for (const edit of edits) run = editInRun(run, edit);
  return run.entry;
}

/**
 * A run of edits by one owner: the history as edited so far, and the slots object the run itself
 * made (undefined until it made one). Only the run's latest entry is anyone's to keep.
 */
export interface EditRun {
  readonly entry: ObjectHistory | undefined;
  readonly slots: Record<number, SlotHistory> | undefined;
}

/**
 * {@link editHistory} within a run: an exit writes into slots the run made instead of copying
 * them again, so the N exits of one object's N replicas (a shutdown) cost O(N), not O(N²).
 */
export function editInRun(run: EditRun, edit: HistoryEdit): EditRun {
  const { entry, slots } = run;
  if (edit.type === 'exit' && entry !== undefined && slots !== undefined && entry.slots === slots) {
    slots[edit.replica] = { ...(slots[edit.replica] ?? EMPTY_SLOT), lastExit: edit.exit };
    return edit.failure ? { entry: { ...entry, failures: appendFailure(entry.failures ?? [], edit.failure) }, slots } : run;
  }
  const next = editHistory(entry, edit);
  // These edits made a new slots object; every other keeps (or drops) the one it had.
  const made = (edit.type === 'exit' || edit.type === 'trimSlots') && next !== undefined;
  return { entry: next, slots: made ? next.slots : next?.slots === slots ? slots : undefined };
}

/**
 * Whether an exit at `at` in slot `replica` is already in the history (told before, possibly by
 * an earlier controller): the slot's last exit is that one or a later one.
 */
export function isExitRecorded(entry: ObjectHistory | undefined, replica: number, at: number): boolean {
  const last = entry?.slots[replica]?.lastExit;
  return last !== undefined && at <= last.at;
}
