/**
 * The controller's memory between passes (the planner's `History`), kept immutable with immer.
 * Every change goes through one of the named updates below; nothing else mutates history.
 *
 * immer drafts one object's entry, never the whole map: a draft of the map copied and walked
 * every entry on each change (exits, starts), so a restart cost grew with the number of objects.
 * The map itself is copied natively with the one entry replaced.
 */
import { produce, type Draft } from 'immer';
import type { History, ObjectHistory, Override } from '../model/history.ts';
import type { CircuitRecord, FailureRecord } from '../model/failure.ts';
import type { ExitInfo } from '../model/instance.ts';
import type { JobRecord } from '../model/job.ts';
import { appendFailure, markRecovered } from '../planner/failures.ts';
import { editAll, type HistoryEdit } from '../planner/history-edit.ts';
import type { ObjectKey } from '../model/object.ts';

/** One object's content as just read; `keepOverride` keeps a `tend stop` across the change. */
export interface GenerationChange {
  readonly key: ObjectKey;
  readonly contentHash: string;
  readonly keepOverride: boolean;
}

export interface HistoryStore {
  get(): History;
  /** Manifest objects were (re)read: bump the generation of each whose content changed. */
  syncGenerations(changes: readonly GenerationChange[]): void;
  /** A start was applied in `replica`; a start that is not a restart resets the slot's restart count. */
  recordStart(key: ObjectKey, replica: number, backoffAttempt: number, countsAsRestart: boolean): void;
  /** An instance in `replica` ended; `failure` when the end was one (one update for both). */
  recordExit(key: ObjectKey, replica: number, exit: ExitInfo, failure?: FailureRecord): void;
  /** An instance failed: appended to the object's bounded failure history. */
  recordFailure(key: ObjectKey, failure: FailureRecord): void;
  /** A new instance runs in the slot of `instance`: its newest failure is recovered. */
  recordRecovery(key: ObjectKey, instance: string, at: number): void;
  /** The object's circuit breaker moved. */
  setCircuit(key: ObjectKey, circuit: CircuitRecord): void;
  setOverride(key: ObjectKey, override: Override | undefined): void;
  requestRestart(key: ObjectKey, at: number): void;
  /** The object and all its instances are gone. */
  drop(key: ObjectKey): void;
  /** Drops the records of replica slots at or above `replicas`. */
  trimSlots(key: ObjectKey, replicas: number): void;
  /** A Job's run record changed; `undefined` forgets it. */
  setJob(key: ObjectKey, job: JobRecord | undefined): void;
  /** Applies a plan's edits of `key`'s history, in order. */
  applyEdits(key: ObjectKey, edits: readonly HistoryEdit[]): void;
}

// A fresh history entry, mutable for the recipe that fills it.
function emptyEntry(): Draft<ObjectHistory> {
  return { generation: 0, contentHash: '', slots: {} };
}

/** Creates a store, optionally from a persisted history. */
export function createHistoryStore(initial: History = new Map()): HistoryStore {
  let state: History = initial;
  const update = (key: ObjectKey, recipe: (draft: Draft<ObjectHistory>) => void): void => {
    const before = state.get(key);
    const after = produce(before ?? (emptyEntry() as ObjectHistory), recipe);
    if (after !== before) state = withEntry(state, key, after);
  };
  return {
    get: () => state,
    syncGenerations(changes) {
      const stale = changes.filter((c) => state.get(c.key)?.contentHash !== c.contentHash);
      if (stale.length === 0) return;
      // One copy of the map for the whole batch, however many objects a load changed.
      const next = new Map(state);
      for (const { key, contentHash, keepOverride } of stale) {
        const entry = produce(next.get(key) ?? (emptyEntry() as ObjectHistory), (h) => {
          h.generation += 1;
          h.contentHash = contentHash;
          if (!keepOverride) delete h.override;
        });
        next.set(key, entry);
      }
      state = next;
    },
    recordStart(key, replica, backoffAttempt, countsAsRestart) {
      update(key, (h) => {
        const slot = h.slots[replica] ?? { restarts: 0, backoffAttempt: 0 };
        // A start that is not a restart (first start, spec change, operator restart) begins a new count, like a new pod.
        h.slots[replica] = { ...slot, restarts: countsAsRestart ? slot.restarts + 1 : 0, backoffAttempt };
      });
    },
    recordExit(key, replica, exit, failure) {
      update(key, (h) => {
        h.slots[replica] = { ...(h.slots[replica] ?? { restarts: 0, backoffAttempt: 0 }), lastExit: exit };
        if (failure) h.failures = appendFailure(h.failures ?? [], failure);
      });
    },
    recordFailure(key, failure) {
      update(key, (h) => {
        h.failures = appendFailure(h.failures ?? [], failure);
      });
    },
    recordRecovery(key, instance, at) {
      const failures = state.get(key)?.failures;
      if (!failures || markRecovered(failures, instance, at) === failures) return;
      update(key, (h) => {
        h.failures = [...markRecovered(h.failures ?? [], instance, at)];
      });
    },
    setCircuit(key, circuit) {
      if (state.get(key)?.circuit === circuit) return;
      update(key, (h) => {
        h.circuit = { ...circuit, failures: [...circuit.failures] };
      });
    },
    setOverride(key, override) {
      update(key, (h) => {
        if (override) h.override = override;
        else delete h.override;
      });
    },
    requestRestart(key, at) {
      update(key, (h) => {
        h.restartRequestedAt = at;
      });
    },
    drop(key) {
      if (state.has(key)) state = withEntry(state, key, undefined);
    },
    trimSlots(key, replicas) {
      const slots = state.get(key)?.slots;
      if (!slots || !Object.keys(slots).some((i) => Number(i) >= replicas)) return;
      update(key, (h) => {
        for (const i of Object.keys(h.slots)) if (Number(i) >= replicas) delete h.slots[Number(i)];
      });
    },
    applyEdits(key, edits) {
      const before = state.get(key);
      const after = editAll(before, edits);
      if (after !== before) state = withEntry(state, key, after);
    },
    setJob(key, job) {
      if (state.get(key)?.job === job) return;
      update(key, (h) => {
        if (job) h.job = job;
        else delete h.job;
      });
    },
  };
}

// A new map with `key`'s entry replaced (undefined: removed); the old map stays as it was.
function withEntry(state: History, key: ObjectKey, entry: ObjectHistory | undefined): History {
  const next = new Map(state);
  if (entry === undefined) next.delete(key);
  else next.set(key, entry);
  return next;
}
