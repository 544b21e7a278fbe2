/**
 * The controller's side of resource limits: after each sampling pass it judges every sampled
 * instance that has limits, by the revision it runs (pure: planner/resource-watch.ts), tells alert changes and breaches
 * as events, keeps the open alerts, and hands breaches (onExceed restart or kill) to the planner,
 * enqueueing the object. The monitor only samples; the planner only turns breaches into stops.
 * Must not: read the clock other than through its Clock, or act on processes.
 */
import type { EventSink } from '../model/event.ts';
import type { ResourcePolicy } from '../model/limits.ts';
import type { History } from '../model/history.ts';
import { isProcessObject, type ManifestObject, type ObjectKey } from '../model/object.ts';
import type { SampledUsage } from '../model/usage.ts';
import type { Clock } from '../platform/clock.ts';
import type { OpenAlert } from '../planner/alerts.ts';
import type { LimitBreach, ObjectBreaches } from '../planner/exhaustion.ts';
import { watchSample, type InstanceWatch } from '../planner/resource-watch.ts';
import { specOfInstance } from '../planner/revision.ts';

/** An open alert of one instance, as the API and `status.alerts` list it. */
export interface InstanceAlert extends OpenAlert {
  readonly object: ObjectKey;
  readonly instance: string;
}

/** What the planner and the status views read. */
export interface LimitSource {
  /** Breaches of running instances, per object; objects without any are absent. */
  breaches(): ReadonlyMap<ObjectKey, ObjectBreaches>;
  /** Called with an object key when one of its instances breached a limit. */
  subscribe(listener: (object: ObjectKey) => void): () => void;
}

export interface ResourceGuard extends LimitSource {
  /** Judges one sampling pass: every sampled instance, whether or not it has limits. */
  observe(samples: readonly SampledUsage[]): void;
  /** Open alerts, by object then instance. */
  alerts(): readonly InstanceAlert[];
  /** Whether the instance `id` of `object` has an open alert (a lookup, for the sampler's schedule). */
  alerting(object: ObjectKey, id: string): boolean;
}

export interface ResourceGuardOptions {
  readonly clock: Clock;
  readonly events: EventSink;
  /**
   * The resource policy of the instances of `object` that run revision `specHash` (the sample's;
   * see {@link revisionPolicies}), when that revision has limits.
   */
  readonly policyOf: (object: ObjectKey, specHash: string | undefined) => ResourcePolicy | undefined;
}

/**
 * `policyOf` over a controller's desired objects and history: an instance is limited and alerted
 * by the revision it was started with (kept in the history while it runs), not by what the
 * manifest says now. An object gone from the manifests is judged by its kept revision.
 */
export function revisionPolicies(objects: () => ReadonlyMap<ObjectKey, ManifestObject>, history: () => History): ResourceGuardOptions['policyOf'] {
  return (key, specHash) => {
    const object = objects().get(key);
    if (object === undefined) return specHash === undefined ? undefined : history().get(key)?.revisions?.[specHash]?.resources;
    if (!isProcessObject(object)) return undefined;
    return specHash === undefined ? object.spec.resources : specOfInstance(object, history().get(key), { specHash }).resources;
  };
}

// Watched while no sampled instance has limits: a pass over unlimited instances builds no set.
const NONE_WATCHED: ReadonlySet<ObjectKey> = new Set();

/** Creates a resource guard. */
export function createResourceGuard(options: ResourceGuardOptions): ResourceGuard {
  const { clock, events } = options;
  let watches = new Map<string, { readonly sample: SampledUsage; readonly watch: InstanceWatch }>();
  let breaches: ReadonlyMap<ObjectKey, ObjectBreaches> = new Map();
  // Objects with a judged instance: the sampler asks `alerting` of every idle instance.
  let watched: ReadonlySet<ObjectKey> = NONE_WATCHED;
  const listeners = new Set<(object: ObjectKey) => void>();
  return {
    observe(samples) {
      const now = clock.now();
      const next = new Map<string, { readonly sample: SampledUsage; readonly watch: InstanceWatch }>();
      const breached = new Set<ObjectKey>();
      let judged: Set<ObjectKey> | undefined;
      for (const sample of samples) {
        const policy = options.policyOf(sample.object, sample.specHash);
        if (!policy) continue;
        (judged ??= new Set()).add(sample.object);
        const key = `${sample.object}\0${sample.id}`;
        const verdict = watchSample(policy, sample.pid, sample.usage, watches.get(key)?.watch, now, sample.enforcement);
        next.set(key, { sample, watch: verdict.watch });
        for (const change of verdict.changes) {
          const severity = change.severity ? { severity: change.severity } : {};
          events.record({ object: sample.object, instance: sample.id, type: 'Warning', ...severity, reason: change.reason, message: `${sample.id} ${change.message}` });
        }
        if (!verdict.newBreach) continue;
        breached.add(sample.object);
        const action = policy.onExceed === 'kill' ? 'killing it, no restart' : 'restarting it';
        events.record({ object: sample.object, instance: sample.id, type: 'Warning', reason: 'ResourceExhaustion', message: `${sample.id} ${verdict.newBreach.message}: ${action} (onExceed ${policy.onExceed})` });
      }
      const changed = breached.size > 0 || breachEnded(watches, next);
      watches = next;
      watched = judged ?? NONE_WATCHED;
      if (changed) breaches = breachesOf(next.values(), options.policyOf);
      for (const object of breached) for (const listener of listeners) listener(object);
    },
    alerts() {
      const open: InstanceAlert[] = [];
      for (const { sample, watch } of watches.values()) {
        for (const alert of Object.values(watch.alerts)) open.push({ object: sample.object, instance: sample.id, ...alert });
      }
      return open.sort((a, b) => a.object.localeCompare(b.object) || a.instance.localeCompare(b.instance));
    },
    alerting(object, id) {
      if (!watched.has(object)) return false;
      const alerts = watches.get(`${object}\0${id}`)?.watch.alerts;
      return alerts !== undefined && Object.keys(alerts).length > 0;
    },
    breaches: () => breaches,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

// Whether an instance that had breached a limit no longer has (gone, or its process replaced).
function breachEnded(before: ReadonlyMap<string, { readonly watch: InstanceWatch }>, after: ReadonlyMap<string, { readonly watch: InstanceWatch }>): boolean {
  for (const [key, w] of before) if (w.watch.breach && !after.get(key)?.watch.breach) return true;
  return false;
}

function breachesOf(
  watches: Iterable<{ readonly sample: SampledUsage; readonly watch: InstanceWatch }>,
  policyOf: ResourceGuardOptions['policyOf'],
): ReadonlyMap<ObjectKey, ObjectBreaches> {
  const out = new Map<ObjectKey, Map<string, LimitBreach>>();
  for (const { sample, watch } of watches) {
    const onExceed = policyOf(sample.object, sample.specHash)?.onExceed;
    if (!watch.breach || onExceed === undefined || onExceed === 'alert') continue;
    const perObject = out.get(sample.object) ?? new Map<string, LimitBreach>();
    perObject.set(sample.id, { pid: sample.pid, onExceed, message: watch.breach.message });
    out.set(sample.object, perObject);
  }
  return out;
}
