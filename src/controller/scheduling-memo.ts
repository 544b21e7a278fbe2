/**
 * The controller's scheduling pass, memoised: computed once per observed state, desired state,
 * history and moment (within a short window), so a batch of keys reads one consistent decision;
 * and, after each batch, the objects the decision asks to act (admit, resume, preempt) are woken.
 * Must not: read the clock other than through the given clock.
 */
import type { History } from '../model/history.ts';
import type { Observed } from '../model/instance.ts';
import { isJobObject } from '../model/job.ts';
import { isProcessObject, type ManifestObject, type ObjectKey } from '../model/object.ts';
import type { Clock } from '../platform/clock.ts';
import { nodeOf, schedulingPolicyOf, type MachineCapacity } from '../planner/node-policy.ts';
import { hasRequests, objectOfUnit, scheduleWorld, type SchedulingView } from '../planner/scheduling.ts';
import type { SchedulingPolicy } from '../scheduler/types.ts';

/** A decision stays good this long unless something it read changes (aging has minute steps). */
const REUSE_MS = 100;

/** The memo and its wake-up. */
export interface SchedulingMemo {
  /** The pass over `observed` at `now` (default: the clock's time). */
  view(observed: Observed, now?: number): SchedulingView;
  /**
   * Calls `wake` for each object with a verdict to act on, once per new decision; returns when
   * the decision may change with nothing else changing (aging, a time slice), to call it again.
   */
  wake(observed: Observed, wake: (key: ObjectKey) => void): number | undefined;
}

/** Creates the memo over the controller's desired state and history. */
export function createSchedulingMemo(options: {
  readonly machine: MachineCapacity;
  readonly objects: () => ReadonlyMap<ObjectKey, ManifestObject>;
  readonly history: () => History;
  readonly clock: Pick<Clock, 'now'>;
}): SchedulingMemo {
  let last: { observed: Observed; objects: ReadonlyMap<ObjectKey, ManifestObject>; history: History; at: number; view: SchedulingView } | undefined;
  let woken: SchedulingView | undefined;
  let desired: Schedulable | undefined;
  const view = (observed: Observed, now = options.clock.now()): SchedulingView => {
    const objects = options.objects();
    const history = options.history();
    const wake = last?.view.decision.nextWake;
    if (last && last.observed === observed && last.objects === objects && last.history === history && now >= last.at && now - last.at < REUSE_MS && (wake === undefined || now < wake)) return last.view;
    if (desired?.from !== objects) desired = schedulableOf(objects, options.machine);
    last = { observed, objects, history, at: now, view: scheduleWorld({ objects: desired.objects, observed, history, policy: desired.policy, now }) };
    return last.view;
  };
  return {
    view,
    wake(observed, wakeKey) {
      const current = view(observed);
      if (current === woken) return current.decision.nextWake;
      woken = current;
      const { decision } = current;
      const keys = new Set<ObjectKey>();
      for (const id of decision.admit) keys.add(objectOfUnit(id));
      for (const id of decision.resume) keys.add(objectOfUnit(id));
      for (const p of decision.preempt) keys.add(objectOfUnit(p.id));
      for (const key of keys) wakeKey(key);
      return decision.nextWake;
    },
  };
}

// What a pass reads of the desired state, worked out once per desired state: the Node's policy,
// and only the objects the scheduler has units for (Jobs, Processes with requests), so a pass
// after one exit costs nothing per object that never asks for anything.
interface Schedulable {
  readonly from: ReadonlyMap<ObjectKey, ManifestObject>;
  readonly objects: ReadonlyMap<ObjectKey, ManifestObject>;
  readonly policy: SchedulingPolicy;
}

function schedulableOf(from: ReadonlyMap<ObjectKey, ManifestObject>, machine: MachineCapacity): Schedulable {
  const objects = new Map<ObjectKey, ManifestObject>();
  for (const [key, object] of from) {
    if (isJobObject(object) || (isProcessObject(object) && hasRequests(object))) objects.set(key, object);
  }
  return { from, objects, policy: schedulingPolicyOf(nodeOf(from), machine) };
}
