/**
 * Recycling of ProcessPool workers: the lease book names the pids of workers to recycle (a lease
 * expired on them, or they served `maxLeasesPerWorker` leases); each such worker still running is
 * stopped as requested, so the slot starts fresh (see start-decision.ts). Pure.
 */
import type { Action } from '../model/action.ts';
import type { ObservedInstance } from '../model/instance.ts';
import type { DesiredObject } from './actions.ts';
import { revisionStop } from './actions.ts';

/** Appends a `Recycle` stop for every running worker whose pid is in `object.recycle`. */
export function planRecycles(actions: Action[], d: DesiredObject, instances: readonly ObservedInstance[]): void {
  const pids = d.object.recycle;
  if (pids === undefined || pids.length === 0) return;
  for (const instance of instances) {
    if (instance.state !== 'running' || !pids.includes(instance.pid)) continue;
    if (actions.some((a) => a.instance === instance.id)) continue;
    actions.push(revisionStop(d, instance, 'Recycle', false));
  }
}
