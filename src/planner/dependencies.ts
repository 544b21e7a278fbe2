/**
 * Dependencies (`dependsOn`): whether each object an object depends on meets its condition, and
 * what that means for starting the object's instances.
 *
 * Owns: the meaning of the conditions and of a failed dependency.
 *   - `started`: every desired replica of the dependency is running and past its startup probe
 *     (and past its preStart hook);
 *   - `ready`: every desired replica is Ready (readiness probe, postStart hook done);
 *   - `completed`: every desired replica has exited successfully running the current spec (a
 *     one-shot program; a changed one must complete again).
 * A dependency has failed when one of its slots ended for good (a failed exit the restart
 * policy or `maxRestarts` does not restart), so the condition cannot come true on its own.
 * Must not: start or stop anything (start-decision.ts gates starts with {@link dependencyGate}),
 * read the clock, do I/O. Kubernetes does not kill a Pod when something it talks to goes away,
 * and neither does tend: a dependency that stops meeting its condition only marks the running
 * dependents (status, a `DependencyFailure` event) and holds their next start.
 */
import type { Health, InstanceHealth, ObjectHealth } from '../model/health.ts';
import type { History } from '../model/history.ts';
import type { Observed, ObservedInstance } from '../model/instance.ts';
import { isProcessObject, type Dependency, type ManifestObject, type ObjectKey, type ProcessObject } from '../model/object.ts';
import { healthOf, isStarted, NO_HEALTH } from './health.ts';
import { isJobObject, type JobObject } from '../model/job.ts';
import { isInstanceReady } from './phase.ts';
import { isFailedExit, restartVerdict } from './restart-policy.ts';

/** One dependency of an object and whether it is met, as `status.dependencies` shows it. */
export interface DependencyStatus {
  readonly object: ObjectKey;
  readonly condition: Dependency['condition'];
  readonly met: boolean;
  /** The dependency ended for good: the condition cannot come true without a change. */
  readonly failed: boolean;
  /** e.g. `process/db: 0/1 ready`. */
  readonly message: string;
}

/** What the planner reads of the other objects. */
export interface DependencyWorld {
  readonly objects: ReadonlyMap<ObjectKey, ManifestObject>;
  readonly observed: Observed;
  readonly history: History;
  readonly health?: Health;
}

/** Whether starts may go ahead: every dependency met, one failed for good, or some still pending. */
export type DependencyGate =
  | { readonly kind: 'met' }
  | { readonly kind: 'waiting' | 'failed'; readonly message: string };

const MET: DependencyGate = { kind: 'met' };
const NO_INSTANCES: readonly ObservedInstance[] = [];

/** The status of each of `object`'s dependencies, in manifest order. */
export function dependencyStatuses(object: ProcessObject, world: DependencyWorld): DependencyStatus[] {
  return object.spec.dependsOn.map((dependency) => statusOf(dependency, world));
}

/** What the statuses mean for starting instances: a failed one first, then any not met. */
export function dependencyGate(statuses: readonly DependencyStatus[]): DependencyGate {
  const failed = statuses.find((s) => s.failed);
  if (failed) return { kind: 'failed', message: `dependency ${failed.message}` };
  const waiting = statuses.filter((s) => !s.met);
  if (waiting.length === 0) return MET;
  return { kind: 'waiting', message: `waiting for ${waiting.map((s) => s.message).join(', ')}` };
}

/** {@link dependencyGate} of {@link dependencyStatuses}; met at once for an object without dependencies. */
export function gateOf(object: ProcessObject, world: DependencyWorld): DependencyGate {
  return object.spec.dependsOn.length === 0 ? MET : dependencyGate(dependencyStatuses(object, world));
}

function statusOf(dependency: Dependency, world: DependencyWorld): DependencyStatus {
  const { key, condition } = dependency;
  const target = world.objects.get(key);
  const base = { object: key, condition };
  if (target === undefined) return { ...base, met: false, failed: false, message: `${key} (${condition}): not defined` };
  if (isJobObject(target)) return jobStatusOf(dependency, target, world);
  if (!isProcessObject(target)) return { ...base, met: false, failed: false, message: `${key} (${condition}): a ${target.kind} is not run yet` };
  const instances = world.observed.get(key) ?? NO_INSTANCES;
  const health = world.health?.get(key) ?? NO_HEALTH;
  const { replicas } = target.spec;
  const meeting = instances.filter((i) => i.replica < replicas && meets(condition, target, i, health)).length;
  const ended = endedForGood(target, instances, world.history);
  const shown = `${key} (${condition}): ${meeting}/${replicas} ${condition}`;
  if (meeting >= replicas) return { ...base, met: true, failed: false, message: shown };
  return ended ? { ...base, met: false, failed: true, message: `${key} (${condition}): ${ended} ended for good` } : { ...base, met: false, failed: false, message: shown };
}

// A Job: `completed` once its current run Succeeded, failed for good once it Failed; `started`
// and `ready` once it has run at all (an instance live or exited in the current run).
function jobStatusOf(dependency: Dependency, target: JobObject, world: DependencyWorld): DependencyStatus {
  const { key, condition } = dependency;
  const base = { object: key, condition };
  const record = world.history.get(key)?.job;
  const finished = record?.specHash === target.specHash ? record.finished : undefined;
  if (finished?.phase === 'Failed') return { ...base, met: false, failed: true, message: `${key} (${condition}): Failed (${finished.reason})` };
  const ran = (world.observed.get(key) ?? NO_INSTANCES).some((i) => i.specHash === target.specHash);
  const met = condition === 'completed' ? finished?.phase === 'Succeeded' : finished !== undefined || ran;
  return { ...base, met, failed: false, message: `${key} (${condition}): ${finished?.phase ?? (ran ? 'Running' : 'Pending')}` };
}

function meets(condition: Dependency['condition'], target: ProcessObject, instance: ObservedInstance, health: ObjectHealth): boolean {
  switch (condition) {
    case 'started':
      return instance.state === 'running' && isStarted(target.spec, healthOf(health, instance));
    case 'ready':
      return isInstanceReady(target, instance, health);
    case 'completed':
      // A run of an older spec does not count: a changed migration must complete again.
      if (instance.state !== 'exited' || instance.specHash !== target.specHash) return false;
      return instance.exit !== undefined && !instance.exit.requested && !isFailedExit(instance.exit);
  }
}

// The id of a desired slot whose instance failed and will not be started again, if any.
function endedForGood(target: ProcessObject, instances: readonly ObservedInstance[], history: History): string | undefined {
  const slots = history.get(target.key)?.slots;
  for (const instance of instances) {
    const exit = instance.exit;
    if (instance.state !== 'exited' || exit === undefined || exit.requested || !isFailedExit(exit)) continue;
    if (instance.replica >= target.spec.replicas || instance.specHash !== target.specHash) continue;
    if (restartVerdict(target.spec, instance, exit, slots?.[instance.replica]).kind !== 'restart') return instance.id;
  }
  return undefined;
}

/**
 * Whether what `status` says is not known yet: the dependency is a Process with a running
 * instance whose probe that the condition reads has no result yet (just after a controller
 * start, say). Nothing is told about such a dependency.
 */
export function isUnobserved(status: DependencyStatus, world: DependencyWorld): boolean {
  if (status.met || status.failed || status.condition === 'completed') return false;
  const target = world.objects.get(status.object);
  if (!target || !isProcessObject(target)) return false;
  const health = world.health?.get(status.object) ?? NO_HEALTH;
  return (world.observed.get(status.object) ?? NO_INSTANCES).some((i) => i.state === 'running' && awaitsProbe(target, status.condition, healthOf(health, i)));
}

// The instance's startup probe (or, for `ready`, its readiness probe) has not decided yet: no
// result, or failures still below its failureThreshold, since the prober began to watch it.
function awaitsProbe(target: ProcessObject, condition: Dependency['condition'], health: InstanceHealth | undefined): boolean {
  const { startup, readiness } = target.spec.probes;
  if (startup !== undefined && health?.started !== true) return (health?.probes.startup?.failures ?? 0) < startup.failureThreshold;
  if (condition !== 'ready' || readiness === undefined || health?.ready === true) return false;
  return (health?.probes.readiness?.failures ?? 0) < readiness.failureThreshold;
}
