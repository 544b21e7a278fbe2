/**
 * Revisions: an instance is supervised by the spec it was started with (probes, hooks, stop
 * signal and grace, resource limits and alerts, restart policy and backoff) until it is replaced,
 * not by what the manifest says now.
 *
 * Must not: read the clock, do I/O.
 */
import type { ObjectHistory } from '../model/history.ts';
import type { ObservedInstance } from '../model/instance.ts';
import type { ProcessSpec } from '../model/object.ts';

/**
 * The spec `instance` runs: the desired one when it runs the current revision, else the
 * revision kept in the history, else (a revision nobody recorded) the desired one.
 */
export function specOfInstance(desired: { readonly spec: ProcessSpec; readonly specHash: string }, history: ObjectHistory | undefined, instance: Pick<ObservedInstance, 'specHash'>): ProcessSpec {
  if (instance.specHash === desired.specHash) return desired.spec;
  return history?.revisions?.[instance.specHash] ?? desired.spec;
}

/** The earlier revision `instance` runs, when the history keeps it (undefined for the current one). */
export function keptRevisionOf(desired: { readonly specHash: string }, history: ObjectHistory | undefined, instance: Pick<ObservedInstance, 'specHash'>): ProcessSpec | undefined {
  return instance.specHash === desired.specHash ? undefined : history?.revisions?.[instance.specHash];
}

/**
 * Revisions kept in `history` that none of `instances` runs any more. An exited instance still
 * holds its revision: a held rollout may restart it as that revision (start-decision.ts).
 */
export function unusedRevisions(history: ObjectHistory | undefined, instances: readonly ObservedInstance[]): string[] {
  const kept = history?.revisions;
  if (kept === undefined) return [];
  return Object.keys(kept).filter((hash) => !instances.some((i) => i.specHash === hash));
}
