/**
 * The controller's memory between passes (the planner's `History`): frozen snapshots (immer's
 * `freeze`), written through a lazily copied working map.
 * Every change goes through one of the named updates below; nothing else mutates history.
 * A change touches one object's entry, never walks the map, so a restart costs the same with
 * 10,000 objects as with one.
 */
import { freeze, type Draft } from 'immer';
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

/**
 * Creates a store, optionally from a persisted history.
 *
 * Reads see frozen snapshots that never change. Writes go to one working copy of the map whose
 * touched entries are the store's own mutable copies until the next read, which freezes them:
 * a burst of updates (a bring-up recording thousands of starts, many of one object) costs one
 * copy of the map and of each touched entry per read, not per update.
 */
export function createHistoryStore(initial: History = new Map()): HistoryStore {
  let state: History = initial;
  let working: Map<ObjectKey, ObjectHistory> | undefined;
  // Keys whose entry in `working` is mutable (not yet handed out).
  const thawed = new Set<ObjectKey>();
  const latest = (): History => working ?? state;
  const write = (key: ObjectKey, entry: ObjectHistory | undefined): void => {
    working ??= new Map(state);
    thawed.delete(key);
    if (entry === undefined) working.delete(key);
    else working.set(key, entry);
  };
  const update = (key: ObjectKey, recipe: (draft: Draft<ObjectHistory>) => void): void => {
    working ??= new Map(state);
    let entry = working.get(key) as Draft<ObjectHistory> | undefined;
    if (!entry || !thawed.has(key)) {
      entry = thaw(entry);
      working.set(key, entry);
      thawed.add(key);
    }
    recipe(entry);
  };
  return {
    get: () => {
      if (!working) return state;
      for (const key of thawed) freeze(working.get(key), true);
      thawed.clear();
      state = working;
      working = undefined;
      return state;
    },
    syncGenerations(changes) {
      const stale = changes.filter((c) => latest().get(c.key)?.contentHash !== c.contentHash);
      for (const { key, contentHash, keepOverride } of stale) {
        update(key, (entry) => {
          entry.generation += 1;
          entry.contentHash = contentHash;
          if (!keepOverride) delete entry.override;
        });
      }
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
      const failures = latest().get(key)?.failures;
      if (!failures || markRecovered(failures, instance, at) === failures) return;
      update(key, (h) => {
        h.failures = [...markRecovered(h.failures ?? [], instance, at)];
      });
    },
    setCircuit(key, circuit) {
      if (latest().get(key)?.circuit === circuit) return;
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
      if (latest().has(key)) write(key, undefined);
    },
    trimSlots(key, replicas) {
      const slots = latest().get(key)?.slots;
      if (!slots || !Object.keys(slots).some((i) => Number(i) >= replicas)) return;
      update(key, (h) => {
        for (const i of Object.keys(h.slots)) if (Number(i) >= replicas) delete h.slots[Number(i)];
      });
    },
    applyEdits(key, edits) {
      const before = latest().get(key);
      const after = editAll(before, edits);
      if (after !== before) write(key, after === undefined ? undefined : freeze(after, true));
    },
    setJob(key, job) {
      if (latest().get(key)?.job === job) return;
      update(key, (h) => {
        if (job) h.job = job;
        else delete h.job;
      });
    },
  };
}

// The store's own mutable copy of an entry (the one nested object recipes change is `slots`).
function thaw(entry: Draft<ObjectHistory> | undefined): Draft<ObjectHistory> {
  return entry ? { ...entry, slots: { ...entry.slots } } : emptyEntry();
}
