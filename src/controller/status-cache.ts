/**
 * The status of every object kept up to date per key: each build plans afresh and builds the view
 * of only those keys whose inputs changed since the build before (their object, instances, history
 * entry, probe results, latest samples, open alerts or the manifests' revision), and hands back the
 * same view objects for the others, so a serialisation cached per view (api/json-body.ts) is
 * reused too. At 10,000 objects a build during a bring-up costs the keys that moved, not 10,000
 * plans and views.
 *
 * Keys whose status reads more than their own inputs or the clock are *volatile* and built afresh
 * every time: Jobs, Nodes, pools, objects with a circuit breaker, `dependsOn`, resource requests
 * or limits, objects gone from the manifests, and any whose plan waits (a back-off, a startup
 * deadline). So a build equals a full {@link buildStatus} of the same moment.
 *
 * After a manifest load, one *fill* ({@link StatusCache.fill}) plans and builds every key the load
 * changed, in turns, in the background; each key's entry is published once its summary and view
 * are made. Meanwhile an answer that must not wait (`provisional`) plans only the keys whose entry
 * was made for their current object and revision and whose other inputs moved since (the keys a
 * bring-up touches between two requests); a key the fill has not reached yet is shown from its
 * desired object and its instances with nothing planned, and counted as provisional. So no request
 * plans and builds every object after a load.
 *
 * Long builds ask their turn budget after every key whether to let other work run. Pure: no
 * clock, no I/O.
 */
import type { Action } from '../model/action.ts';
import type { ObjectHealth } from '../model/health.ts';
import type { ObjectHistory } from '../model/history.ts';
import type { ObservedInstance } from '../model/instance.ts';
import { isProcessObject, knownKeys, type ManifestObject, type ObjectKey } from '../model/object.ts';
import type { ResourceUsage } from '../model/usage.ts';
import type { TurnYield } from '../platform/turn-budget.ts';
import { hasRequests } from '../planner/scheduling.ts';
import type { InstanceAlert } from './resource-guard.ts';
import { groupByObject, viewOfKey, type ObjectView, type StatusInput } from './status.ts';
import { summaryOfKey, type ObjectSummary } from './status-summary.ts';

/** What a build reads: the status input without the plan, which the cache makes per key. */
export type StatusSource = Omit<StatusInput, 'plan'>;

export interface StatusCacheOptions {
  /** The actions of `keys` planned against the same moment (observation and time) as `source`. */
  readonly plan: (keys: readonly ObjectKey[], source: StatusSource, oneTurn: boolean) => Promise<readonly Action[]>;
  /** Lets other work run during a long build. */
  readonly yieldTurn?: TurnYield;
  /** The fill's yield, when it differs from `yieldTurn` (a background one: see turn-budget.ts). */
  readonly fillTurn?: TurnYield;
  /** Told of each view and summary a fill makes (the API serialises them ahead of any request). */
  readonly made?: (item: ObjectView | ObjectSummary) => void;
}

export interface BuildOptions {
  /**
   * Keys whose entry was not made for their current object and revision are not planned: they
   * show from the object and its instances with nothing planned (while a fill makes their entry).
   * Such a build is an answer someone waits for: it runs in one turn, its work being a look at
   * every key and the keys that moved, rather than queueing behind the fill's turns.
   */
  readonly provisional?: boolean;
}

/** One build: views and summaries of every object, sorted by key, each made when first asked. */
export interface StatusBuild {
  views(): Promise<ObjectView[]>;
  summaries(): Promise<ObjectSummary[]>;
  /** Keys whose entry this build made afresh (the rest were kept from the build before). */
  readonly rebuilt: ReadonlySet<ObjectKey>;
  /** Keys shown with nothing planned, their entry left to a fill. */
  readonly provisional: ReadonlySet<ObjectKey>;
}

export interface StatusCache {
  build(source: StatusSource, options?: BuildOptions): Promise<StatusBuild>;
  /**
   * Plans and builds (summary and view) every key of `source` whose entry is not current, a turn
   * at a time, publishing each entry once made; resolves with the number of keys it made.
   */
  fill(source: StatusSource): Promise<number>;
}

// What one key's status was made from, and what was made from it.
interface Entry {
  readonly object: ManifestObject | undefined;
  readonly instances: readonly ObservedInstance[] | undefined;
  readonly history: ObjectHistory | undefined;
  readonly health: ObjectHealth | undefined;
  readonly revision: string;
  readonly usages: readonly (ResourceUsage | undefined)[];
  readonly alerts: readonly InstanceAlert[];
  readonly volatile: boolean;
  /** Made with nothing planned, for answers while a fill runs; never reused by a full build. */
  readonly provisional?: true;
  actions: readonly Action[];
  view?: ObjectView;
  summary?: ObjectSummary;
}

/** This build's entries, in key order, and what it did per key. */
interface Sorted {
  readonly next: Map<ObjectKey, Entry>;
  readonly rebuilt: Set<ObjectKey>;
  readonly provisional: Set<ObjectKey>;
}

const NO_ALERTS: readonly InstanceAlert[] = [];
const NO_USAGE: readonly (ResourceUsage | undefined)[] = [];

/** Creates an empty cache: its first build is a whole one. */
export function createStatusCache(options: StatusCacheOptions): StatusCache {
  const entries = new Map<ObjectKey, Entry>();
  const pauseTurn = (): Promise<void> | undefined => options.yieldTurn?.();
  const fillTurn = (): Promise<void> | undefined => (options.fillTurn ?? options.yieldTurn)?.();
  const oneTurn = (): undefined => undefined;
  // Entries kept, made afresh, or (provisional) shown unplanned, key by key.
  const sort = async (source: StatusSource, keys: readonly ObjectKey[], provisional: boolean, pause: TurnYield = provisional ? oneTurn : pauseTurn): Promise<Sorted> => {
    const alerts = groupByObject(source.alerts ?? []);
    const sorted: Sorted = { next: new Map(), rebuilt: new Set(), provisional: new Set() };
    for (const key of keys) {
      const turn = pause();
      if (turn) await turn;
      const before = entries.get(key);
      const keyAlerts = alerts.get(key) ?? NO_ALERTS;
      if (before && (provisional || !before.provisional) && isCurrent(before, source, key, keyAlerts)) {
        sorted.next.set(key, before);
        continue;
      }
      const fresh = entryOf(source, key, keyAlerts);
      if (provisional && !madeFor(before, fresh)) {
        // Kept at once (this build runs in one turn), so the next answer reuses it until the fill plans it.
        const shown: Entry = { ...fresh, provisional: true };
        entries.set(key, shown);
        sorted.next.set(key, shown);
        sorted.provisional.add(key);
      } else {
        sorted.next.set(key, fresh);
        sorted.rebuilt.add(key);
      }
    }
    return sorted;
  };
  // First, a turn at a time, what an answer would show of each key the fill has yet to plan (its
  // summary, view and their JSON, from its object and instances with nothing planned), so answers
  // while the fill plans find them made instead of making thousands in one turn.
  const showUnplanned = async (source: StatusSource, keys: readonly ObjectKey[]): Promise<void> => {
    const { next, provisional } = await sort(source, keys, true, fillTurn);
    const input: StatusInput = { ...source, plan: [] };
    for (const key of provisional) {
      const turn = fillTurn();
      if (turn) await turn;
      const entry = next.get(key) as Entry;
      if (entries.get(key) !== entry) continue;
      options.made?.((entry.summary ??= summaryOfKey(input, key, entry.actions)));
      options.made?.((entry.view ??= viewOfKey(input, key, entry.actions)));
    }
  };
  // Forgets the entries of keys no longer known.
  const prune = (next: ReadonlyMap<ObjectKey, Entry>): void => {
    if (entries.size > next.size) for (const key of entries.keys()) if (!next.has(key)) entries.delete(key);
  };
  return {
    async build(source, { provisional = false } = {}) {
      const keys = knownKeys(source.desired.objects, source.observed);
      const sorted = await sort(source, keys, provisional);
      await planRebuilt(options, source, sorted, provisional);
      for (const key of sorted.rebuilt) entries.set(key, sorted.next.get(key) as Entry);
      prune(sorted.next);
      return buildOf(source, keys, sorted, provisional ? oneTurn : pauseTurn);
    },
    async fill(source) {
      const keys = knownKeys(source.desired.objects, source.observed);
      await showUnplanned(source, keys);
      const sorted = await sort(source, keys, false, fillTurn);
      await planRebuilt(options, source, sorted, false);
      const input = (plan: readonly Action[]): StatusInput => ({ ...source, plan });
      for (const key of sorted.rebuilt) {
        const turn = fillTurn();
        if (turn) await turn;
        const entry = sorted.next.get(key) as Entry;
        entry.summary = summaryOfKey(input(entry.actions), key, entry.actions);
        entry.view = viewOfKey(input(entry.actions), key, entry.actions);
        options.made?.(entry.summary);
        options.made?.(entry.view);
        entries.set(key, entry);
      }
      prune(sorted.next);
      return sorted.rebuilt.size;
    },
  };
}

// Whether `before` was planned for the object and revision `fresh` has (its other inputs may differ).
function madeFor(before: Entry | undefined, fresh: Entry): boolean {
  return before !== undefined && before.provisional === undefined && before.object === fresh.object && before.revision === fresh.revision;
}

// Plans the keys made afresh (in one turn for an answer); one whose plan waits on the clock stays volatile.
async function planRebuilt(options: StatusCacheOptions, source: StatusSource, sorted: Sorted, oneTurn: boolean): Promise<void> {
  const { next: entries, rebuilt } = sorted;
  if (rebuilt.size === 0) return;
  const planned = groupByObject(await options.plan([...rebuilt], source, oneTurn));
  for (const key of rebuilt) {
    const entry = entries.get(key);
    if (!entry) continue;
    const actions = planned.get(key) ?? [];
    entries.set(key, actions.some((a) => a.type === 'wait') ? { ...entry, actions, volatile: true } : Object.assign(entry, { actions }));
  }
}

function buildOf(source: StatusSource, keys: readonly ObjectKey[], sorted: Sorted, pause: () => Promise<void> | undefined): StatusBuild {
  const { next: entries, rebuilt, provisional } = sorted;
  const input = (plan: readonly Action[]): StatusInput => ({ ...source, plan });
  const each = async <T>(make: (key: ObjectKey, entry: Entry) => T): Promise<T[]> => {
    const out: T[] = [];
    for (const key of keys) {
      const turn = pause();
      if (turn) await turn;
      const entry = entries.get(key);
      if (entry) out.push(make(key, entry));
    }
    return out;
  };
  return {
    rebuilt,
    provisional,
    views: () => each((key, entry) => (entry.view ??= viewOfKey(input(entry.actions), key, entry.actions))),
    summaries: () => each((key, entry) => (entry.summary ??= summaryOfKey(input(entry.actions), key, entry.actions))),
  };
}

function entryOf(source: StatusSource, key: ObjectKey, alerts: readonly InstanceAlert[]): Entry {
  const object = source.desired.objects.get(key);
  const instances = source.observed.get(key);
  const usage = source.usage;
  return {
    object,
    instances,
    history: source.history.get(key),
    health: source.health?.get(key),
    revision: source.desired.revision,
    usages: usage && instances ? instances.map((i) => (i.state === 'exited' ? undefined : usage(i))) : NO_USAGE,
    alerts,
    volatile: isVolatile(object),
    actions: [],
  };
}

/**
 * Whether the status of `object` reads more than its own entry: the clock (circuit, Job), other
 * objects (dependencies, scheduling, pools), or limits the monitor judges.
 */
export function isVolatile(object: ManifestObject | undefined): boolean {
  if (!object || !isProcessObject(object)) return true;
  const { spec } = object;
  return object.pool !== undefined || spec.circuitBreaker !== undefined || spec.dependsOn.length > 0 || spec.resources?.limits !== undefined || hasRequests(object);
}

// Whether `entry` was made from the inputs `source` has for `key` now (looked at without making
// an entry: most keys are current, and a look at every key is part of every answer).
function isCurrent(entry: Entry, source: StatusSource, key: ObjectKey, alerts: readonly InstanceAlert[]): boolean {
  if (entry.volatile) return false;
  const instances = source.observed.get(key);
  return entry.object === source.desired.objects.get(key) && entry.instances === instances && entry.history === source.history.get(key)
    && entry.health === source.health?.get(key) && entry.revision === source.desired.revision
    && sameUsages(entry.usages, instances, source.usage) && sameList(entry.alerts, alerts, sameFields);
}

// The latest samples of `instances` are those `usages` holds (as entryOf lists them).
function sameUsages(usages: readonly (ResourceUsage | undefined)[], instances: readonly ObservedInstance[] | undefined, usage: StatusSource['usage']): boolean {
  if (!usage || !instances) return usages.length === 0;
  if (usages.length !== instances.length) return false;
  return instances.every((i, index) => sameUsage(usages[index], i.state === 'exited' ? undefined : usage(i)));
}

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i] as T, b[i] as T)) return false;
  return true;
}

function sameUsage(a: ResourceUsage | undefined, b: ResourceUsage | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && sameFields(a, b));
}

// Flat records (a sample, an alert): equal when every field is.
function sameFields<T extends object>(a: T, b: T): boolean {
  const ka = Object.keys(a) as (keyof T)[];
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}
