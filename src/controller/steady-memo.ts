/**
 * Keys known to be steady: a key whose last plan did nothing at all (no action, no history edit,
 * no event, no note, no time to look again) while every instance of it ran is not planned again
 * while what that plan read of it is the same: the object, its history entry, its instance
 * records, its probe health and its limit breaches. The plan is a pure function of those (and of
 * the time, which a plan that needs it asks for with `requeueAt`), so it would be the same empty
 * plan: the periodic resync of a quiet machine plans nothing and arms nothing.
 *
 * The same holds for a plan with actions that waits on no time (a fresh object's starts): while
 * its inputs stay the same, a plan made for an answer (`tend diff`, a status) takes its actions
 * from the pass's plan instead of planning the key again. The pass itself plans such a key anew,
 * since what it records (events, notes) depends on what was told before.
 *
 * Only objects whose plan reads nothing of other objects qualify: Processes without dependencies
 * or scheduling requests. Jobs, pruned keys and everything else are planned every time.
 */
import { isProcessObject, type ManifestObject, type ObjectKey } from '../model/object.ts';
import type { ObjectHealth } from '../model/health.ts';
import type { ObservedInstance } from '../model/instance.ts';
import type { ObjectHistory } from '../model/history.ts';
import type { ObjectBreaches } from '../planner/exhaustion.ts';
import type { KeyPlan, PlanWorld } from '../planner/key-plan.ts';
import { hasRequests } from '../planner/scheduling.ts';
import { sameRecords } from './order-memo.ts';

interface Inputs {
  readonly object: ManifestObject | undefined;
  readonly history: ObjectHistory | undefined;
  readonly instances: readonly ObservedInstance[] | undefined;
  readonly health: ObjectHealth | undefined;
  readonly breaches: ObjectBreaches | undefined;
}

/** The steady keys of one controller. */
export interface SteadyMemo {
  /** True when `key`'s plan in `world` would be empty: its inputs are those of its last, empty plan. */
  holds(world: PlanWorld, key: ObjectKey): boolean;
  /** The last plan of `key` when `world` gives it the inputs that plan had, and it waits on no time. */
  reusable(world: PlanWorld, key: ObjectKey): KeyPlan | undefined;
  /** Takes note of the plan just made of `key` in `world`. */
  planned(world: PlanWorld, plan: KeyPlan): void;
}

interface Memo extends Inputs {
  readonly plan: KeyPlan;
}

/**
 * Creates an empty memo.
 * @example
 * const steady = createSteadyMemo();
 * if (!steady.holds(world, key)) steady.planned(world, planKey(world, key));
 */
export function createSteadyMemo(): SteadyMemo {
  const memo = new Map<ObjectKey, Memo>();
  // Field by field, without building the inputs: a pass asks this of every key it plans.
  const same = (last: Memo, world: PlanWorld, key: ObjectKey): boolean =>
    last.object === world.objects.get(key) && last.history === world.history.get(key) && last.health === world.health?.get(key) && last.breaches === world.breaches?.get(key) && sameRecords(last.instances, world.observed.get(key));
  return {
    holds(world, key) {
      const last = memo.get(key);
      return last !== undefined && isEmpty(last.plan) && same(last, world, key);
    },
    reusable(world, key) {
      const last = memo.get(key);
      return last !== undefined && same(last, world, key) ? last.plan : undefined;
    },
    planned(world, plan) {
      const inputs = inputsOf(world, plan.key);
      if (timeless(plan) && qualifies(inputs)) memo.set(plan.key, { ...inputs, plan });
      else memo.delete(plan.key);
    },
  };
}

function inputsOf(world: PlanWorld, key: ObjectKey): Inputs {
  return { object: world.objects.get(key), history: world.history.get(key), instances: world.observed.get(key), health: world.health?.get(key), breaches: world.breaches?.get(key) };
}

function qualifies({ object, instances }: Inputs): boolean {
  if (object === undefined || !isProcessObject(object) || object.spec.dependsOn.length > 0 || hasRequests(object)) return false;
  return instances === undefined || instances.every((i) => i.state === 'running');
}

// A plan that asks for no later look and waits for nothing: the time it was made at does not matter.
function timeless(plan: KeyPlan): boolean {
  return plan.requeueAt === undefined && plan.actions.every((a) => a.type !== 'wait');
}

function isEmpty(plan: KeyPlan): boolean {
  return plan.actions.length === 0 && plan.historyEdits.length === 0 && plan.events.length === 0 && plan.notes.length === 0 && plan.requeueAt === undefined;
}
