/**
 * The standing orders of each key, planned again only when what they were planned from changed:
 * the object, its history entry, or one of its instance records. A resync that finds a key as it
 * was costs no plan per instance (each order is one more plan of its key). An order planned
 * earlier stays right later: a later end can only find the failure window emptier, never fuller
 * (see standing-order.ts). Objects whose orders hang on other objects (dependencies, scheduling
 * requests) are planned every time.
 */
import type { StandingOrder } from '../model/action.ts';
import type { ObjectHistory } from '../model/history.ts';
import type { ObservedInstance } from '../model/instance.ts';
import { isProcessObject, type ManifestObject, type ObjectKey } from '../model/object.ts';
import type { PlanWorld } from '../planner/key-plan.ts';
import { hasRequests } from '../planner/scheduling.ts';

interface Planned {
  readonly object: ManifestObject;
  readonly history: ObjectHistory | undefined;
  readonly instances: readonly ObservedInstance[] | undefined;
  readonly orders: readonly StandingOrder[];
}

/** `plan` (standingOrders) with each key's last answer kept while its inputs are the same records. */
export function createOrderMemo(plan: (world: PlanWorld, key: ObjectKey) => readonly StandingOrder[]): (world: PlanWorld, key: ObjectKey) => readonly StandingOrder[] {
  const memo = new Map<ObjectKey, Planned>();
  return (world, key) => {
    const object = world.objects.get(key);
    const history = world.history.get(key);
    const instances = world.observed.get(key);
    const last = memo.get(key);
    if (last && last.object === object && last.history === history && sameRecords(last.instances, instances)) return last.orders;
    const orders = plan(world, key);
    if (object && isProcessObject(object) && object.spec.dependsOn.length === 0 && !hasRequests(object)) memo.set(key, { object, history, instances, orders });
    else memo.delete(key);
    return orders;
  };
}

/** True when `a` and `b` hold the same instance records, in order (the lists may be two). */
export function sameRecords(a: readonly ObservedInstance[] | undefined, b: readonly ObservedInstance[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
