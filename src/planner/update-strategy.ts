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
 * instances serving. `maxSurge` simply adds to `maxUnavailable`: each replacement is a
 * stop-then-start `restart`, never a surge instance started first.
 * Health stops (`LivenessFailure`, `StartupTimeout`) come before any update of a running instance.
 */
import type { Action } from '../model/action.ts';
import { isLive, type ObservedInstance } from '../model/instance.ts';
import type { DesiredObject } from './actions.ts';
import { restartAction, stopAction } from './actions.ts';
import { healthDecision, healthOf, isAvailable } from './health.ts';
import { isRestartRequested } from './override.ts';
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
      if (health?.type !== 'stop' && isStale(d, instance)) actions.push(stopAction(d.key, instance, d.object.spec.stop, staleReason(d, instance), false, d.object.spec));
      else if (health !== undefined) actions.push(health);
    } else if (!hold && instance?.state !== 'stopping') {
      const action = startDecision(d, replica, instance, instances.length > 0);
      if (action !== undefined) actions.push(action);
    }
  });
}

/**
 * RollingUpdate: restarts stale instances lowest index first while fewer than
 * `max(1, maxUnavailable + maxSurge)` slots are down (see {@link isDown}); a stale instance that
 * is down already (not Ready) is replaced without waiting for the budget, as it serves nothing.
 * Missing and exited slots get their start decision meanwhile.
 */
export function planRollingUpdate(
  actions: Action[],
  d: DesiredObject,
  slots: SlotTable,
  hasInstances: boolean,
): void {
  const { maxUnavailable, maxSurge } = d.object.spec.updateStrategy;
  let budget = Math.max(1, maxUnavailable + maxSurge) - slots.filter((i) => isDown(d, i)).length;
  slots.forEach((instance, replica) => {
    if (instance !== undefined && isLive(instance)) {
      const health = healthDecision(d, instance);
      const down = isDown(d, instance);
      if (health?.type !== 'stop' && (budget > 0 || down) && isStale(d, instance)) {
        if (!down) budget--;
        actions.push(restartAction(d, instance, staleReason(d, instance), staleMessage(d, instance)));
      } else if (health !== undefined) actions.push(health);
    } else if (instance?.state !== 'stopping') {
      const action = startDecision(d, replica, instance, hasInstances);
      if (action !== undefined) actions.push(action);
    }
  });
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
    return (health !== undefined || !isStale(d, instance)) && !isAvailable(d.object.spec, health);
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
    ? `${instance.id} runs spec ${instance.specHash}, the manifest wants ${d.object.specHash}; restarting`
    : `${instance.id} started before tend restart; restarting`;
}
