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

/** Revisions kept in `history` that none of `instances` runs any more. */
export function unusedRevisions(history: ObjectHistory | undefined, instances: readonly ObservedInstance[]): string[] {
  const kept = history?.revisions;
  if (kept === undefined) return [];
  return Object.keys(kept).filter((hash) => !instances.some((i) => i.specHash === hash && i.state !== 'exited'));
}
