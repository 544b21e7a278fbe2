/**
 * What the controller's state file holds ({@link PersistedState}) and the journal records between
 * two snapshots of it: per object key, the instances, the history entry and the manifest objects
 * that changed (null: gone), plus the revision and boot id when they changed. Pure.
 *
 * Changes are found by identity: instance records, history entries (immer) and manifest objects
 * are replaced, never mutated, so an unchanged one is the same object as at the last save and
 * costs a pointer comparison.
 */
import type { History, ObjectHistory } from '../model/history.ts';
import type { ObservedInstance } from '../model/instance.ts';
import type { ManifestObject, ObjectKey } from '../model/object.ts';

/** What the state file holds. */
export interface PersistedState {
  readonly version: 1;
  readonly bootId: string;
  readonly revision: string;
  readonly instances: readonly ObservedInstance[];
  readonly history: readonly (readonly [ObjectKey, ObjectHistory])[];
  /** The last valid objects, so a file that is broken while no controller runs keeps them. */
  readonly objects: readonly ManifestObject[];
}

/** One journal line: what changed since the line (or snapshot) before it. */
export interface StateRecord {
  readonly bootId?: string;
  readonly revision?: string;
  readonly instances?: Readonly<Record<ObjectKey, readonly ObservedInstance[] | null>>;
  readonly history?: Readonly<Record<ObjectKey, ObjectHistory | null>>;
  readonly objects?: Readonly<Record<ObjectKey, readonly ManifestObject[] | null>>;
}

/** The live state as the controller and executor hold it. */
export interface LiveState {
  readonly bootId: string;
  readonly revision: string;
  readonly instances: readonly ObservedInstance[];
  readonly history: History;
  readonly objects: readonly ManifestObject[];
}

/** Remembers what was last written and tells what changed since. */
export interface StateTracker {
  /** The record of what changed since the previous call (or `mark`), or undefined when nothing did. */
  changes(live: LiveState): StateRecord | undefined;
  /** Takes `live` as written (a snapshot of it), without making a record. */
  mark(live: LiveState): void;
}

/** A tracker that has written nothing yet: its first record holds everything. */
export function createStateTracker(): StateTracker {
  let last: Keyed = emptyKeyed();
  return {
    changes(live) {
      const next = keyedOf(live);
      const record = diffKeyed(last, next);
      last = next;
      return record;
    },
    mark(live) {
      last = keyedOf(live);
    },
  };
}

/** The state with the journal's records applied in order. */
export function replayRecords(state: PersistedState, records: readonly unknown[]): PersistedState {
  if (records.length === 0) return state;
  const keyed: Keyed = {
    bootId: state.bootId,
    revision: state.revision,
    instances: groupBy(state.instances, (i) => i.object),
    history: new Map(state.history),
    objects: groupBy(state.objects, (o) => o.key),
  };
  for (const record of records) apply(keyed, record as StateRecord);
  return {
    version: 1,
    bootId: keyed.bootId,
    revision: keyed.revision,
    instances: [...keyed.instances.values()].flat(),
    history: [...keyed.history],
    objects: [...keyed.objects.values()].flat(),
  };
}

interface Keyed {
  bootId: string;
  revision: string;
  readonly instances: Map<ObjectKey, readonly ObservedInstance[]>;
  readonly history: Map<ObjectKey, ObjectHistory>;
  readonly objects: Map<ObjectKey, readonly ManifestObject[]>;
}

function emptyKeyed(): Keyed {
  return { bootId: '', revision: '', instances: new Map(), history: new Map(), objects: new Map() };
}

function keyedOf(live: LiveState): Keyed {
  return {
    bootId: live.bootId,
    revision: live.revision,
    instances: groupBy(live.instances, (i) => i.object),
    history: new Map(live.history),
    objects: groupBy(live.objects, (o) => o.key),
  };
}

function diffKeyed(before: Keyed, after: Keyed): StateRecord | undefined {
  const record: { -readonly [K in keyof StateRecord]: StateRecord[K] } = {};
  if (after.bootId !== before.bootId) record.bootId = after.bootId;
  if (after.revision !== before.revision) record.revision = after.revision;
  const instances = diffMap(before.instances, after.instances, sameItems);
  if (instances) record.instances = instances;
  const history = diffMap(before.history, after.history, (a, b) => a === b);
  if (history) record.history = history;
  const objects = diffMap(before.objects, after.objects, sameItems);
  if (objects) record.objects = objects;
  return Object.keys(record).length === 0 ? undefined : record;
}

// Changed and added keys with their new value, removed keys with null; undefined when equal.
function diffMap<T>(before: ReadonlyMap<ObjectKey, T>, after: ReadonlyMap<ObjectKey, T>, same: (a: T, b: T) => boolean): Record<ObjectKey, T | null> | undefined {
  const out: Record<ObjectKey, T | null> = {};
  let changed = false;
  for (const [key, value] of after) {
    const old = before.get(key);
    if (old !== undefined && same(old, value)) continue;
    out[key] = value;
    changed = true;
  }
  for (const key of before.keys()) {
    if (after.has(key)) continue;
    out[key] = null;
    changed = true;
  }
  return changed ? out : undefined;
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

function apply(keyed: Keyed, record: StateRecord): void {
  if (typeof record.bootId === 'string') keyed.bootId = record.bootId;
  if (typeof record.revision === 'string') keyed.revision = record.revision;
  applyMap(keyed.instances, record.instances);
  applyMap(keyed.history, record.history);
  applyMap(keyed.objects, record.objects);
}

function applyMap<T>(map: Map<ObjectKey, T>, changes: Readonly<Record<ObjectKey, T | null>> | undefined): void {
  if (typeof changes !== 'object' || changes === null) return;
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) map.delete(key);
    else map.set(key, value);
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => ObjectKey): Map<ObjectKey, readonly T[]> {
  const groups = new Map<ObjectKey, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
