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
  readonly plan: (keys: readonly ObjectKey[], source: StatusSource) => Promise<readonly Action[]>;
  /** Lets other work run during a long build. */
  readonly yieldTurn?: TurnYield;
}

/** One build: views and summaries of every object, sorted by key, each made when first asked. */
export interface StatusBuild {
  views(): Promise<ObjectView[]>;
  summaries(): Promise<ObjectSummary[]>;
  /** Keys whose entry this build made afresh (the rest were kept from the build before). */
  readonly rebuilt: ReadonlySet<ObjectKey>;
}

export interface StatusCache {
  build(source: StatusSource): Promise<StatusBuild>;
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
  actions: readonly Action[];
  view?: ObjectView;
  summary?: ObjectSummary;
}

const NO_ALERTS: readonly InstanceAlert[] = [];
const NO_USAGE: readonly (ResourceUsage | undefined)[] = [];

/** Creates an empty cache: its first build is a whole one. */
export function createStatusCache(options: StatusCacheOptions): StatusCache {
  let entries = new Map<ObjectKey, Entry>();
  const pause = (): Promise<void> | undefined => options.yieldTurn?.();
  return {
    async build(source) {
      const keys = knownKeys(source.desired.objects, source.observed);
      const alerts = groupByObject(source.alerts ?? []);
      const next = new Map<ObjectKey, Entry>();
      const rebuilt = new Set<ObjectKey>();
      for (const key of keys) {
        const turn = pause();
        if (turn) await turn;
        const fresh = entryOf(source, key, alerts.get(key) ?? NO_ALERTS);
        const before = entries.get(key);
        if (before && !before.volatile && !fresh.volatile && sameEntry(before, fresh)) next.set(key, before);
        else {
          next.set(key, fresh);
          rebuilt.add(key);
        }
      }
      await planRebuilt(options, source, next, rebuilt);
      entries = next;
      return buildOf(source, keys, next, rebuilt, pause);
    },
  };
}

// Plans the keys made afresh; one whose plan waits on the clock stays volatile.
async function planRebuilt(options: StatusCacheOptions, source: StatusSource, entries: Map<ObjectKey, Entry>, rebuilt: ReadonlySet<ObjectKey>): Promise<void> {
  if (rebuilt.size === 0) return;
  const planned = groupByObject(await options.plan([...rebuilt], source));
  for (const key of rebuilt) {
    const entry = entries.get(key);
    if (!entry) continue;
    const actions = planned.get(key) ?? [];
    entries.set(key, actions.some((a) => a.type === 'wait') ? { ...entry, actions, volatile: true } : Object.assign(entry, { actions }));
  }
}

function buildOf(source: StatusSource, keys: readonly ObjectKey[], entries: ReadonlyMap<ObjectKey, Entry>, rebuilt: ReadonlySet<ObjectKey>, pause: () => Promise<void> | undefined): StatusBuild {
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

function sameEntry(a: Entry, b: Entry): boolean {
  return a.object === b.object && a.instances === b.instances && a.history === b.history && a.health === b.health && a.revision === b.revision
    && sameList(a.usages, b.usages, sameUsage) && sameList(a.alerts, b.alerts, sameFields);
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
