/**
 * The one planner every caller asks: the reconcile loop, `tend diff`, `reconcile --once
 * [--dry-run] [--wait]` and the API's plan view. {@link planKey} turns one consistent moment of
 * the world into a {@link KeyPlan} for one object of any kind (Process and pool workers, Job with
 * its cron runs, the scheduler's verdicts); {@link planAll} does so for every key. Like the
 * kubelet's computePodActions it decides everything and does nothing: the controller applies the
 * plan (SyncPod), so what a dry run prints is what a pass does.
 *
 * Must not: read the clock (`now` is in the world), do I/O, mutate its input.
 */
import type { Action, Plan } from '../model/action.ts';
import type { ObservedInstance } from '../model/instance.ts';
import { isJobObject } from '../model/job.ts';
import { isProcessObject, knownKeys, type ObjectKey, type ProcessObject } from '../model/object.ts';
import { checkCircuitTrial } from './circuit-trial.ts';
import { reportDependencies } from './dependency-report.ts';
import { reportExits } from './exit-report.ts';
import { planJobKey } from './job-key.ts';
import { draftOf, earliestWait, edit, emptyPlan, finishDraft, forgetUnusedRevisions, remember, tell, type KeyDraft, type KeyPlan, type PlanWorld } from './key-plan.ts';
import { planObject, type PlanInput } from './plan.ts';
import { planWorld } from './plan-world.ts';
import { hasRequests } from './scheduling.ts';
import { gateProcessStarts } from './start-gate.ts';

const NO_INSTANCES: readonly ObservedInstance[] = Object.freeze([]);

/** Plans one object key of any kind (an object gone from the manifests is pruned). */
export function planKey(world: PlanWorld, key: ObjectKey): KeyPlan {
  const desired = world.objects.get(key);
  if (desired && !isProcessObject(desired) && !isJobObject(desired)) return emptyPlan(key);
  const instances = world.observed.get(key) ?? NO_INSTANCES;
  const object = desired && isProcessObject(desired) ? desired : undefined;
  const draft = draftOf(world, key);
  reportExits(draft, instances, object);
  if (desired && isJobObject(desired)) return planJobKey(draft, desired, instances);
  if (!object && heldByDependents(world, key)) return finishDraft(draft, [], undefined);
  return planProcessKey(draft, object, instances);
}

/**
 * Only the telling of `key`'s exits, with no action: what is seen while nothing more may start
 * (the controller shutting down).
 */
export function reportKeyExits(world: PlanWorld, key: ObjectKey): KeyPlan {
  const desired = world.objects.get(key);
  const draft = draftOf(world, key);
  reportExits(draft, world.observed.get(key) ?? NO_INSTANCES, desired && isProcessObject(desired) ? desired : undefined);
  return finishDraft(draft, [], undefined);
}

/**
 * {@link planKey} of each of `keys` (by default every key desired or observed, in key order), all
 * against the one moment of `world`. With `yieldTurn`, asked after every key, a plan of thousands
 * lets other work run whenever the turn's budget is spent (platform/turn-budget.ts), and the plans
 * come as a promise. `known` gives a key's plan when one made in the same world is at hand.
 */
export function planAll(world: PlanWorld, keys?: readonly ObjectKey[]): KeyPlan[];
export function planAll(world: PlanWorld, keys: readonly ObjectKey[] | undefined, yieldTurn: () => Promise<void> | undefined, known?: (key: ObjectKey) => KeyPlan | undefined): Promise<KeyPlan[]>;
export function planAll(world: PlanWorld, keys: readonly ObjectKey[] = knownKeys(world.objects, world.observed), yieldTurn?: () => Promise<void> | undefined, known?: (key: ObjectKey) => KeyPlan | undefined): KeyPlan[] | Promise<KeyPlan[]> {
  const plans: KeyPlan[] = [];
  // Plans from `start` on in this turn, until the budget asks for a turn to be given up.
  const from = (start: number): KeyPlan[] | Promise<KeyPlan[]> => {
    for (let i = start; i < keys.length; i++) {
      const key = keys[i] as ObjectKey;
      plans.push(known?.(key) ?? planKey(world, key));
      const turn = yieldTurn?.();
      if (turn) return turn.then(() => from(i + 1));
    }
    return plans;
  };
  return yieldTurn ? Promise.resolve(from(0)) : from(0);
}

/**
 * Every action of one pass over `input`, in key order: {@link planAll} without a scheduler's
 * limits (everything fits) and with nothing told yet.
 */
export function plan(input: PlanInput): Plan {
  const { desired, observed, history, now, health, breaches } = input;
  const world = planWorld({ objects: desired.objects, observed, history, now, machine: UNBOUNDED, ...(health ? { health } : {}), ...(breaches ? { breaches } : {}) });
  return actionsOf(planAll(world));
}

const UNBOUNDED = { cpu: Number.MAX_SAFE_INTEGER, memory: Number.MAX_SAFE_INTEGER };

/** Every action of `plans`, in order. */
export function actionsOf(plans: readonly KeyPlan[]): Action[] {
  return plans.flatMap((p) => p.actions);
}

/** {@link planKey} of a Process key, for its draft and the instances given (which may be supposed ones). */
export function planProcessKey(draft: KeyDraft, object: ProcessObject | undefined, instances: readonly ObservedInstance[]): KeyPlan {
  const { world, key } = draft;
  const trialWake = checkCircuitTrial(draft, object, instances);
  const gate = object?.spec.dependsOn.length ? reportDependencies(draft, object, instances) : undefined;
  const planned = planObject(key, object, instances, draft.history, world.now, world.health?.get(key), world.breaches?.get(key), gate);
  const actions = object && hasRequests(object) ? gateProcessStarts(planned, { key, object, history: draft.history }, instances, world.admission) : planned;
  for (const action of actions) {
    if (action.type === 'wait' && action.reason === 'CrashLoopBackOff') announceBackoff(draft, action.instance, action.until, action.message);
  }
  if (!object && instances.length === 0 && draft.history !== undefined) edit(draft, { type: 'drop' });
  else if (object && actions.some((a) => a.reason === 'ScaleDown')) trimSlots(draft, object.spec.replicas);
  forgetUnusedRevisions(draft, instances);
  return finishDraft(draft, actions, earliestWait(actions, trialWake));
}

function trimSlots(draft: KeyDraft, replicas: number): void {
  const slots = draft.history?.slots;
  if (slots && Object.keys(slots).some((i) => Number(i) >= replicas)) edit(draft, { type: 'trimSlots', replicas });
}

function announceBackoff(draft: KeyDraft, instance: string, until: number, message: string): void {
  if (draft.world.notes.backoff.get(instance) === until) return;
  remember(draft, { type: 'backoff', instance, until });
  tell(draft, { object: draft.key, instance, type: 'Warning', reason: 'BackOff', message });
}

// A pruned object stops only after the pruned objects that depend on it have exited.
function heldByDependents(world: PlanWorld, key: ObjectKey): boolean {
  if (!world.dependentsOf) return false;
  for (const other of world.dependentsOf(key)) {
    if (!world.objects.has(other) && world.observed.get(other)?.some((i) => i.state !== 'exited')) return true;
  }
  return false;
}
