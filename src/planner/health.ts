/**
 * Health decisions: what the probe observations of a running instance mean for the plan.
 *
 * Owns: startup gating (an instance is `started` once its startup probe passed, or at once
 * without one), readiness (`ready` = started, and the readiness probe passing when there is one),
 * the liveness stop (`LivenessFailure`) and the startup deadline (`StartupTimeout`).
 * Must not: run probes or decide when they are due (src/monitor does), read the clock, do I/O.
 *
 *     running ──startup probe passes──> started ──readiness passes──> ready
 *        │                                 └──liveness fails failureThreshold times──> stop (LivenessFailure)
 *        └──startupTimeout passes first──> stop (StartupTimeout)
 *
 * Both stops end in an unrequested exit with that reason, so the restart policy and backoff apply.
 * A resource limit's stop (exhaustion.ts) comes before either.
 */
import type { StopAction, WaitAction } from '../model/action.ts';
import type { InstanceHealth, ObjectHealth } from '../model/health.ts';
import type { ObservedInstance } from '../model/instance.ts';
import type { ProcessSpec } from '../model/object.ts';
import type { DesiredObject } from './actions.ts';
import { stopAction } from './actions.ts';
import { exhaustionStop } from './exhaustion.ts';
import { specOfInstance } from './revision.ts';

/** Health of no instance. */
export const NO_HEALTH: ObjectHealth = new Map();

/** The observations about `instance` itself: none when they are about an earlier process in its slot. */
export function healthOf(health: ObjectHealth, instance: ObservedInstance): InstanceHealth | undefined {
  const h = health.get(instance.id);
  return h !== undefined && h.pid === instance.pid && h.startedAt === instance.startedAt ? h : undefined;
}

/** Whether a running instance has started: its startup probe passed, or it has none. */
export function isStarted(spec: ProcessSpec, health: InstanceHealth | undefined): boolean {
  return spec.probes.startup === undefined || health?.started === true;
}

/** Whether a running instance is available: started, and its readiness probe passing when it has one. */
export function isAvailable(spec: ProcessSpec, health: InstanceHealth | undefined): boolean {
  if (!isStarted(spec, health)) return false;
  return spec.probes.readiness === undefined || health?.ready === true;
}

/**
 * What the health of a running instance asks for: a stop for `LivenessFailure` once started,
 * a stop for `StartupTimeout` when the startup probe has not passed `startupTimeout` after the
 * start (or after the prober began to watch the process, if later), a `wait` (`AwaitingStartup`)
 * until that deadline, or nothing. Without any observation of the process nothing is decided.
 */
export function healthDecision(d: DesiredObject, instance: ObservedInstance): StopAction | WaitAction | undefined {
  const exhausted = exhaustionStop(d, instance);
  if (exhausted) return exhausted;
  if (instance.state !== 'running') return undefined;
  const spec = specOfInstance(d.object, d.history, instance);
  const health = healthOf(d.health, instance);
  if (isStarted(spec, health)) {
    if (spec.probes.liveness === undefined || health?.livenessFailed !== true) return undefined;
    return stopAction(d.key, instance, spec.stop, 'LivenessFailure', false, spec);
  }
  if (spec.startupTimeoutMs <= 0 || health === undefined) return undefined;
  const deadline = Math.max(instance.startedAt, health.since) + spec.startupTimeoutMs;
  if (d.now >= deadline) return stopAction(d.key, instance, spec.stop, 'StartupTimeout', false, spec);
  const message = `${instance.id} waits for its startup probe until the startup timeout`;
  return { type: 'wait', object: d.key, instance: instance.id, reason: 'AwaitingStartup', message, until: deadline };
}

/**
 * True when health may change the plan of an object whose instances all run the current spec:
 * it has a liveness probe, or a startup probe with a deadline. Lets the steady case skip planning.
 */
export function healthMatters(spec: ProcessSpec): boolean {
  return spec.probes.liveness !== undefined || (spec.probes.startup !== undefined && spec.startupTimeoutMs > 0);
}

/** Whether `instance` needs no health action (see {@link healthDecision}), without allocating. */
export function isHealthySteady(spec: ProcessSpec, health: ObjectHealth, instance: ObservedInstance): boolean {
  const h = healthOf(health, instance);
  if (!isStarted(spec, h)) return spec.startupTimeoutMs <= 0 || h === undefined;
  return spec.probes.liveness === undefined || h?.livenessFailed !== true;
}
