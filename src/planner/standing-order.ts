/**
 * Standing restart orders: for each running instance of a Process object, the restart the plan
 * would make the moment it ends, when that restart is due at once. The executor may carry it out
 * before the controller hears of the end (the program's shim re-execs in its place); the
 * controller's next plan makes that same start, and records it as its own (events, restart count,
 * backoff, circuit accounting), so an order changes when a restart happens, never what is recorded.
 *
 * An order is the plan itself, asked "what if this instance ended now?": the instance is supposed
 * exited (killed by a signal, a failure; and, where the policy restarts clean ends too, with
 * code 0) and the key planned as usual. It holds only when that plan starts the same slot again
 * at once, as the revision the instance runs, counted as a restart by the restart policy: no
 * backoff delay, no circuit opening or half-open trial, maxRestarts not reached, no dependency or
 * scheduling wait. Supposing the end now is the strict case: a later end can only find the
 * failure window emptier and the backoff attempt reset, never the reverse.
 *
 * Not armed: programs with lifecycle hooks (preStart, postStart, postStop run around a start or
 * after an end, which the executor does not do on its own), with resource limits (their
 * enforcement is decided at the spawn), fallback instances, anything whose backoff is not
 * zero (checked first, so objects with a backoff cost nothing here), and objects of more than
 * MAX_ARMED_INSTANCES instances: each order plans the key once more, so the orders of N
 * instances cost N plans of N instances each, which must stay small beside the pass.
 *
 * Must not: read the clock (`now` is in the world), do I/O, mutate its input.
 */
import type { StandingOrder, StartAction } from '../model/action.ts';
import type { ExitInfo, ObservedInstance } from '../model/instance.ts';
import { isProcessObject, type ObjectKey, type ProcessObject, type ProcessSpec } from '../model/object.ts';
import { reportExits } from './exit-report.ts';
import { draftOf, type PlanWorld } from './key-plan.ts';
import { planProcessKey } from './plan-key.ts';

const NONE: readonly StandingOrder[] = Object.freeze([]);

/** Above this many instances of one object, none is armed (its restarts go through the controller). */
export const MAX_ARMED_INSTANCES = 64;

/** The standing orders of `key`'s running instances in `world` (none for other kinds of object). */
export function standingOrders(world: PlanWorld, key: ObjectKey): readonly StandingOrder[] {
  const object = world.objects.get(key);
  if (!object || !isProcessObject(object) || !mayArm(object.spec)) return NONE;
  const instances = world.observed.get(key);
  if (!instances || instances.length > MAX_ARMED_INSTANCES) return NONE;
  let orders: StandingOrder[] | undefined;
  for (const instance of instances) {
    const order = orderFor(world, object, instances, instance);
    if (order) (orders ??= []).push(order);
  }
  return orders ?? NONE;
}

/**
 * Whether the spec can carry an order at all: a restart policy that restarts, a zero backoff
 * (`initialDelay` or `maxDelay` 0), no lifecycle hook around the start or after the end, no
 * resource limits.
 */
export function mayArm(spec: ProcessSpec): boolean {
  if (spec.restartPolicy === 'Never' || (spec.backoff.initialDelayMs > 0 && spec.backoff.maxDelayMs > 0)) return false;
  return spec.lifecycle.preStart === undefined && spec.lifecycle.postStart === undefined && spec.stop.postStop === undefined && spec.resources === undefined;
}

// The order of one instance: on a failure, and on any end when a clean one restarts the same way.
function orderFor(world: PlanWorld, object: ProcessObject, instances: readonly ObservedInstance[], instance: ObservedInstance): StandingOrder | undefined {
  if (instance.state !== 'running' || instance.hook !== undefined || instance.fallback === true || instance.suspendedAt !== undefined) return undefined;
  const onFailure = restartAfter(world, object, instances, instance, { code: null, signal: 'SIGKILL' });
  if (!onFailure) return undefined;
  const onClean = object.spec.restartPolicy === 'OnFailure' ? undefined : restartAfter(world, object, instances, instance, { code: 0, signal: null });
  const any = onClean !== undefined && onClean.instance === onFailure.instance;
  return { instance: instance.id, on: any ? 'any' : 'failure', start: onFailure };
}

// The start the plan makes at once for `instance`'s slot if it had ended now as `end` says.
function restartAfter(world: PlanWorld, object: ProcessObject, instances: readonly ObservedInstance[], instance: ObservedInstance, end: Pick<ExitInfo, 'code' | 'signal'>): StartAction | undefined {
  const exit: ExitInfo = { ...end, at: world.now, reason: 'Exited', requested: false };
  const ended: ObservedInstance = { ...instance, state: 'exited', exit };
  const supposed = instances.map((other) => (other === instance ? ended : other));
  const draft = draftOf(world, object.key);
  reportExits(draft, supposed, object);
  const plan = planProcessKey(draft, object, supposed);
  for (const action of plan.actions) {
    if (action.type !== 'start' || action.replica !== instance.replica) continue;
    return isImmediateRestart(action, instance) ? action : undefined;
  }
  return undefined;
}

function isImmediateRestart(start: StartAction, instance: ObservedInstance): boolean {
  if (start.reason !== 'RestartPolicy' || !start.countsAsRestart || start.circuitTrial === true || start.fallback === true) return false;
  return start.specHash === instance.specHash && mayArm(start.spec);
}
