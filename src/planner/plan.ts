/**
 * The planner: from desired state, observed state, history and the time, the actions that
 * bring the world closer to the manifests. Level-triggered: every pass looks at everything and
 * never asks which event woke it.
 *
 * Owns: slot bookkeeping (replicas 0..n-1 with ids `name-i`), scale up/down, prune, spec
 * updates (Recreate, RollingUpdate), `tend stop` / `tend restart`, and when exited instances
 * start again.
 * Must not: do I/O, read the clock (`now` is an input), use randomness, hash specs (it compares
 * the recorded `specHash`es) or keep module state. A no-change pass over 10,000 objects must
 * stay within a few ms, so the steady case allocates nothing.
 *
 * Slot timeline, as the planner drives it:
 *
 *     missing ──start──> running ──exit──> exited ──wait (CrashLoopBackOff)──> start
 *                           │                 └──policy says no / maxRestarts──> (stays)
 *                           └──stop / restart──> stopping ──exit (requested)──> exited ──start
 *
 * Update strategies live in update-strategy.ts, start and restart decisions for empty slots in
 * start-decision.ts, fallback instances (recovery strategy `fallback`) in recovery.ts.
 */
import type { Action, Plan } from '../model/action.ts';
import type { Health, ObjectHealth } from '../model/health.ts';
import type { History, ObjectHistory } from '../model/history.ts';
import type { Observed, ObservedInstance } from '../model/instance.ts';
import type { DesiredState, ObjectKey, ProcessObject } from '../model/object.ts';
import type { DesiredObject } from './actions.ts';
import { keptRevisionStop, revisionStop } from './actions.ts';
import type { DependencyGate } from './dependencies.ts';
import { NO_BREACHES, type ObjectBreaches } from './exhaustion.ts';
import { healthMatters, isHealthySteady, NO_HEALTH } from './health.ts';
import { isUserStopped } from './override.ts';
import { planFallbacks, splitFallbacks } from './recovery.ts';
import { planRecycles } from './pool-recycle.ts';
import type { SlotTable } from './update-strategy.ts';
import { planRecreate, planRollingUpdate } from './update-strategy.ts';

/** Everything one planning pass reads. */
export interface PlanInput {
  readonly desired: DesiredState;
  readonly observed: Observed;
  readonly history: History;
  /** ms since the epoch. */
  readonly now: number;
  /** Probe observations per object; objects without probes (or not probed yet) are absent. */
  readonly health?: Health;
  /** Limit breaches per object (onExceed restart or kill); objects without any are absent. */
  readonly breaches?: ReadonlyMap<ObjectKey, ObjectBreaches>;
}

const NO_ACTIONS: Plan = Object.freeze([]);

/**
 * Plans one object. `health` holds the probe observations of its instances (see health.ts);
 * `gate` what its `dependsOn` allows (see dependencies.ts; absent: every dependency is met).
 * `object` undefined means it is gone from the manifests: every instance that
 * is not already stopping is stopped and forgotten (reason `Pruned`), highest replica first.
 * Otherwise the order is: extra slots stopped (highest first), then slot actions by index.
 * Assumes at most one observed instance per replica (the executor keys instances by id);
 * a second one for the same replica is ignored.
 */
export function planObject(
  key: ObjectKey,
  object: ProcessObject | undefined,
  instances: readonly ObservedInstance[],
  history: ObjectHistory | undefined,
  now: number,
  health: ObjectHealth = NO_HEALTH,
  breaches: ObjectBreaches = NO_BREACHES,
  gate?: DependencyGate,
): Plan {
  if (object === undefined) return instances.length === 0 ? NO_ACTIONS : prune(key, instances, history);
  const { primaries, fallbacks } = splitFallbacks(instances);
  if (fallbacks.length === 0 && breaches.size === 0 && !object.recycle?.length && isSteady(object, instances, history, health)) return NO_ACTIONS;
  const d: DesiredObject = { key, object, history, generation: history?.generation ?? 1, now, health, breaches, ...(gate ? { gate } : {}) };
  const slots = slotTable(primaries, object.spec.replicas);
  const actions = scaleDown(d, primaries);
  if (isUserStopped(object, history)) stopAllForUser(actions, d, slots);
  else if (object.spec.updateStrategy.type === 'Recreate') planRecreate(actions, d, slots, primaries);
  else planRollingUpdate(actions, d, slots, primaries);
  planFallbacks(actions, d, slots, fallbacks);
  planRecycles(actions, d, primaries);
  return actions;
}

// The common case, checked without allocating: every slot runs the current spec, in order.
function isSteady(object: ProcessObject, instances: readonly ObservedInstance[], history: ObjectHistory | undefined, health: ObjectHealth): boolean {
  if (instances.length !== object.spec.replicas) return false;
  const checkHealth = healthMatters(object.spec);
  if (history?.override !== undefined && isUserStopped(object, history)) return false;
  const restartAt = history?.restartRequestedAt;
  let replica = 0;
  for (const instance of instances) {
    if (instance.replica !== replica++ || instance.state !== 'running') return false;
    if (instance.specHash !== object.specHash) return false;
    if (restartAt !== undefined && instance.startedAt < restartAt) return false;
    if (checkHealth && !isHealthySteady(object.spec, health, instance)) return false;
  }
  return true;
}

// Desired slots 0..replicas-1 and the instance observed in each (first one wins).
// A slot holds two instances only in a surge (see update-strategy.ts): a live one wins over an
// exited one, so an instance that ended beside its replacement is not started again.
function slotTable(instances: readonly ObservedInstance[], replicas: number): SlotTable {
  const slots = new Array<ObservedInstance | undefined>(replicas).fill(undefined);
  for (const instance of instances) {
    if (instance.replica < 0 || instance.replica >= replicas) continue;
    const held = slots[instance.replica];
    if (held === undefined || (held.state === 'exited' && instance.state !== 'exited')) slots[instance.replica] = instance;
  }
  return slots;
}

// Each instance stops as the revision it runs says, when the history still holds it.
function prune(key: ObjectKey, instances: readonly ObservedInstance[], history: ObjectHistory | undefined): Action[] {
  return byReplicaDescending(instances.filter((i) => i.state !== 'stopping')).map((i) => keptRevisionStop(key, history, i, 'Pruned', true));
}

function scaleDown(d: DesiredObject, instances: readonly ObservedInstance[]): Action[] {
  const replicas = d.object.spec.replicas;
  const extra = instances.filter((i) => i.replica >= replicas && i.state !== 'stopping');
  return byReplicaDescending(extra).map((i) => revisionStop(d, i, 'ScaleDown', true));
}

function byReplicaDescending(instances: ObservedInstance[]): ObservedInstance[] {
  return instances.sort((a, b) => b.replica - a.replica);
}

// `tend stop`: stop what runs, start nothing, keep exited records for `tend start`.
function stopAllForUser(actions: Action[], d: DesiredObject, slots: SlotTable): void {
  for (const instance of slots) {
    if (instance?.state === 'running' || instance?.state === 'starting') {
      actions.push(revisionStop(d, instance, 'UserStopped', false));
    }
  }
}
