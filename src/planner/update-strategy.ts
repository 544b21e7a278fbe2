/**
 * Update strategies: how instances that run a stale program (an outdated spec, or one started
 * before `tend restart`) are replaced, and how that interleaves with starting empty slots.
 *
 * Owns: Recreate (stop all, then start all) and RollingUpdate (a bounded number of slots down
 * at a time, lowest index first).
 * Must not: decide restarts after crashes (start-decision.ts does), read the clock, do I/O.
 *
 * A running instance counts as available once it is started and, with a readiness probe, ready
 * (health.ts), so a new revision that never becomes ready holds the rollout with the old
 * instances serving. With `maxSurge` ≥ 1 a replacement starts beside the stale instance under a
 * fresh id in the same slot (`web-0` → `web-0.1`), and the stale one stops only once the new one
 * is available (up to `maxSurge` new instances not yet available at a time); without, each
 * replacement is a stop-then-start `restart` within `maxUnavailable`.
 *
 *     stale running ──surge start──> stale running + new starting ──new available──> stop stale
 *                                                      └──new fails──> its restart policy; stale serves
 * Health stops (`LivenessFailure`, `StartupTimeout`) come before any update of a running instance.
 *
 * A stale instance that ends on its own while the rolling update has no room for its slot (the
 * new revision not yet available elsewhere) is judged by its own revision's restart policy and
 * backoff and restarts as that revision (start-decision.ts), so a held rollout keeps serving.
 */
import type { Action, StartAction, StopAction } from '../model/action.ts';
import { isLive, type ObservedInstance } from '../model/instance.ts';
import type { DesiredObject } from './actions.ts';
import { FRESH_START, instanceId, startAction, stopAction } from './actions.ts';
import { healthDecision, healthOf, isAvailable } from './health.ts';
import { isRestartRequested } from './override.ts';
import { replacementId } from './recovery.ts';
import { specOfInstance } from './revision.ts';
import { isFailedExit, shouldRestart } from './restart-policy.ts';
import { exitInfoOf, startDecision } from './start-decision.ts';

/** Desired slots 0..replicas-1 and the instance observed in each, if any. */
export type SlotTable = readonly (ObservedInstance | undefined)[];

/**
 * Recreate: stops every stale instance (reason `SpecChanged`, or `UserRestart` for `tend
 * restart`) and starts nothing, not even new slots, until none of them runs or stops.
 */
export function planRecreate(
  actions: Action[],
  d: DesiredObject,
  slots: SlotTable,
  instances: readonly ObservedInstance[],
): void {
  const hold = instances.some((i) => i.state !== 'exited' && isStale(d, i));
  slots.forEach((instance, replica) => {
    if (instance !== undefined && isLive(instance)) {
      const health = healthDecision(d, instance);
      if (health?.type !== 'stop' && isStale(d, instance)) actions.push(staleStop(d, instance, false));
      else if (health !== undefined) actions.push(health);
    } else if (!hold && instance?.state !== 'stopping') {
      const action = startDecision(d, replica, instance, instances.length > 0);
      if (action !== undefined) actions.push(action);
    }
  });
}

/**
 * RollingUpdate, lowest index first: with `maxSurge` ≥ 1, starts a surge instance beside each
 * stale available one while fewer than `maxSurge` surges are not yet available, and stops the
 * stale one once its surge is; otherwise (and for stale instances already down) restarts in
 * place while fewer than `maxUnavailable` slots are down (at least one without surge; see
 * {@link isDown}). A stale instance that is down already is replaced without waiting for the
 * budget, as it serves nothing. Missing and exited slots get their start decision meanwhile.
 */
export function planRollingUpdate(
  actions: Action[],
  d: DesiredObject,
  slots: SlotTable,
  instances: readonly ObservedInstance[],
): void {
  const { maxUnavailable, maxSurge } = d.object.spec.updateStrategy;
  const surges = maxSurge > 0 ? surgePairs(d, instances) : NO_SURGES;
  let surgeBudget = maxSurge - [...surges.values()].filter((pair) => !isAvailableNow(d, pair.surge)).length;
  let budget = (maxSurge > 0 ? maxUnavailable : Math.max(1, maxUnavailable)) - slots.filter((i, replica) => !surges.has(replica) && isDown(d, i)).length;
  forgetShadowed(actions, d, slots, instances);
  slots.forEach((instance, replica) => {
    const pair = surges.get(replica);
    if (pair !== undefined) planSurge(actions, d, pair);
    else if (instance !== undefined && isLive(instance)) {
      const health = healthDecision(d, instance);
      const down = isDown(d, instance);
      const stale = health?.type !== 'stop' && isStale(d, instance);
      if (stale && !down && surgeBudget > 0) {
        surgeBudget--;
        actions.push(surgeStart(d, instance));
      } else if (stale && (budget > 0 || down)) {
        if (!down) budget--;
        // Stopped, then started again once its exit is seen: both ends are told.
        actions.push({ ...staleStop(d, instance, false), message: staleMessage(d, instance) });
      } else if (health !== undefined) actions.push(health);
    } else if (instance?.state !== 'stopping') {
      const room = instance !== undefined && endedOnItsOwn(instance) && isStale(d, instance) ? roomFor(budget, surgeBudget) : 'free';
      // Taken beyond maxUnavailable, the new instance counts as one more surge.
      if (room === 'taken-as-surge') surgeBudget--;
      const action = startDecision(d, replica, instance, instances.length > 0, room === 'held' ? 'held' : 'free');
      if (action !== undefined) actions.push(action);
    }
  });
}

function endedOnItsOwn(instance: ObservedInstance): boolean {
  return instance.state === 'exited' && !exitInfoOf(instance).requested;
}

// Whether the update may take the slot of a stale instance that ended: it would have stopped it
// were it still up (the budget counts it down already), or may start one more surge.
function roomFor(budget: number, surgeBudget: number): 'free' | 'taken-as-surge' | 'held' {
  if (budget >= 0) return 'free';
  return surgeBudget > 0 ? 'taken-as-surge' : 'held';
}

/** A slot in a surge: the stale instance still there, and the new one started beside it. */
interface SurgePair {
  readonly stale: ObservedInstance;
  readonly surge: ObservedInstance;
}

const NO_SURGES: ReadonlyMap<number, SurgePair> = new Map();

// Slots holding a stale instance that is not exited and, beside it, one of the current spec.
function surgePairs(d: DesiredObject, instances: readonly ObservedInstance[]): ReadonlyMap<number, SurgePair> {
  const pairs = new Map<number, SurgePair>();
  for (const stale of instances) {
    if (stale.state === 'exited' || stale.replica >= d.object.spec.replicas || !isStale(d, stale)) continue;
    const surge = instances.find((i) => i.replica === stale.replica && i !== stale && !isStale(d, i));
    if (surge !== undefined) pairs.set(stale.replica, { stale, surge });
  }
  return pairs;
}

// The stale instance stops once the surge is available; a failed surge follows its restart
// policy while the stale one serves; health stops apply to the surge as to any instance.
function planSurge(actions: Action[], d: DesiredObject, { stale, surge }: SurgePair): void {
  if (surge.state === 'exited') {
    const action = startDecision(d, surge.replica, surge, true);
    if (action !== undefined) actions.push(action);
    return;
  }
  if (surge.state === 'stopping') return;
  const health = healthDecision(d, surge);
  if (health !== undefined) actions.push(health);
  if (health?.type === 'stop' || !isAvailableNow(d, surge) || stale.state === 'stopping') return;
  const message = `${surge.id} is available; stopping ${stale.id}, which runs ${staleReason(d, stale) === 'SpecChanged' ? `spec ${stale.specHash}` : 'from before tend restart'}`;
  actions.push({ ...staleStop(d, stale, true), message });
}

// An exited stale instance beside the live one of its slot (one that ended during its surge) is
// forgotten; the live one carries the slot on. A failed new one stays for its restart policy.
function forgetShadowed(actions: Action[], d: DesiredObject, slots: SlotTable, instances: readonly ObservedInstance[]): void {
  if (instances.length <= slots.length) return;
  for (const instance of instances) {
    const held = slots[instance.replica];
    if (instance.state === 'exited' && isStale(d, instance) && held !== undefined && held !== instance && held.state !== 'exited') {
      actions.push(stopAction(d.key, instance, d.object.spec.stop, 'Forget', true));
    }
  }
}

// A new instance of the current spec beside `stale`, in its slot, under a fresh id.
function surgeStart(d: DesiredObject, stale: ObservedInstance): StartAction {
  const id = replacementId(instanceId(d.object, stale.replica), stale.id);
  const message = `${staleMessage(d, stale).replace(/; stopping to start.*$/, '')}; starting ${id} beside it (maxSurge)`;
  return { ...startAction(d, stale.replica, staleReason(d, stale), FRESH_START, message), instance: id };
}

// Running, past its hooks and startup probe, and Ready when it has a readiness probe.
function isAvailableNow(d: DesiredObject, instance: ObservedInstance): boolean {
  return instance.state === 'running' && instance.hook === undefined && isAvailable(specOfInstance(d.object, d.history, instance), healthOf(d.health, instance));
}

// A stale instance stops as the revision it runs says (its signal, grace period and hooks).
function staleStop(d: DesiredObject, instance: ObservedInstance, forget: boolean): StopAction {
  const spec = specOfInstance(d.object, d.history, instance);
  return stopAction(d.key, instance, spec.stop, staleReason(d, instance), forget, spec);
}

// Slots that use the update budget: missing, stopping, running but not available, or exited and
// not completed for good. A running instance of an older spec that no probe has looked at yet
// (adopted by a controller that just started) is presumed available, as it was before.
// A completed instance (clean exit the policy does not restart) is done, not down; a failed one
// of the current spec is down, so a revision that fails halts the rollout.
function isDown(d: DesiredObject, instance: ObservedInstance | undefined): boolean {
  if (instance === undefined || instance.state === 'stopping' || instance.state === 'starting') return true;
  if (instance.state === 'running') {
    if (instance.hook === 'postStart') return true;
    const health = healthOf(d.health, instance);
    return (health !== undefined || !isStale(d, instance)) && !isAvailable(specOfInstance(d.object, d.history, instance), health);
  }
  const exit = exitInfoOf(instance);
  const completed = !exit.requested && !isFailedExit(exit) && !shouldRestart(d.object.spec.restartPolicy, exit);
  return !completed || isStale(d, instance);
}

// Stale: runs an outdated spec, or started before `tend restart`.
function isStale(d: DesiredObject, instance: ObservedInstance): boolean {
  return instance.specHash !== d.object.specHash || isRestartRequested(instance, d.history);
}

function staleReason(d: DesiredObject, instance: ObservedInstance): 'SpecChanged' | 'UserRestart' {
  return instance.specHash !== d.object.specHash ? 'SpecChanged' : 'UserRestart';
}

function staleMessage(d: DesiredObject, instance: ObservedInstance): string {
  return staleReason(d, instance) === 'SpecChanged'
    ? `${instance.id} runs spec ${instance.specHash}, the manifest wants ${d.object.specHash}; stopping to start the new one`
    : `${instance.id} started before tend restart; stopping to start it again`;
}
