/**
 * One reconcile of one object: observe, plan, apply, record. Level-triggered: it never asks why
 * it was called; it reads the whole desired and observed state of the key and converges it.
 * Must not: read the clock other than through `deps.clock`, or keep state beyond `ReconcileMemory`.
 */
import type { Action, ActionResult } from '../model/action.ts';
import type { EventSink } from '../model/event.ts';
import type { Health } from '../model/health.ts';
import type { ExitInfo, Observed, ObservedInstance } from '../model/instance.ts';
import { isProcessObject, type ManifestObject, type ObjectKey, type ProcessObject } from '../model/object.ts';
import type { Executor } from '../executor/executor.ts';
import type { Clock } from '../platform/clock.ts';
import { describeExit } from '../planner/actions.ts';
import { classifyExit } from '../planner/failures.ts';
import { gateOf, type DependencyGate, type DependencyWorld } from '../planner/dependencies.ts';
import type { ObjectBreaches } from '../planner/exhaustion.ts';
import { planObject } from '../planner/plan.ts';
import { circuitCheckTrial, circuitOnFailure, circuitOnTrial } from './circuit.ts';
import { countJobStart, gateProcessStarts, planJobKey } from './job-reconcile.ts';
import { isJobObject } from '../model/job.ts';
import { hasRequests, type SchedulingView } from '../planner/scheduling.ts';
import type { HistoryStore } from './store.ts';

export interface ReconcileDeps {
  readonly executor: Executor;
  readonly history: HistoryStore;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly desired: () => ReadonlyMap<ObjectKey, ManifestObject>;
  readonly memory: ReconcileMemory;
  /** Probe observations, when a prober runs. */
  readonly health?: () => Health;
  /** Objects whose `dependsOn` names the key, as the manifests last said (pruned ones too). */
  readonly dependentsOf?: (key: ObjectKey) => Iterable<ObjectKey>;
  /** Resource limit breaches, when a monitor judges limits. */
  readonly breaches?: () => ReadonlyMap<ObjectKey, ObjectBreaches>;
  /** The scheduling pass over `observed` (memoised); absent: everything fits. */
  readonly scheduling?: (observed: Observed) => SchedulingView;
}

/** What was already reported, so each exit and back-off is told once. */
export interface ReconcileMemory {
  /** Exited instances already reported (executors replace an instance object on every change). */
  readonly reported: WeakSet<ObservedInstance>;
  /** instance id -> back-off deadline already announced. */
  readonly backoff: Map<string, number>;
  /** object -> what was last said of its dependencies (`met`, or the gate's message). */
  readonly dependencies: Map<ObjectKey, string>;
}

export interface ReconcileResult {
  readonly requeueAt?: number;
  readonly actions: readonly Action[];
  readonly results: readonly ActionResult[];
}

const NO_INSTANCES: readonly ObservedInstance[] = Object.freeze([]);
const NOTHING_TO_DO: ReconcileResult = Object.freeze({ actions: Object.freeze([]), results: Object.freeze([]) });

/** True when `actions` holds anything for the executor (not only waits). */
export function hasWork(actions: readonly Action[]): boolean {
  return actions.some((a) => a.type !== 'wait');
}

/** Creates empty reconcile memory. */
export function createReconcileMemory(): ReconcileMemory {
  return { reported: new WeakSet(), backoff: new Map(), dependencies: new Map() };
}

/**
 * Reconciles one object key once: plans from `instances` (the key's observed instances) and
 * applies the plan. Resolves at once, without waiting on anything, when there is nothing to do.
 */
export async function reconcileKey(deps: ReconcileDeps, key: ObjectKey): Promise<ReconcileResult> {
  const planned = planKey(deps, key, await deps.executor.observe());
  return hasWork(planned.actions) ? applyPlanned(deps, key, planned) : planned;
}

/**
 * The synchronous half of a reconcile: report exits, plan, announce back-offs and dependency
 * waits. `observed` is every object's instances (dependencies are read from it).
 */
export function planKey(deps: ReconcileDeps, key: ObjectKey, observed: Observed): ReconcileResult {
  const desired = deps.desired().get(key);
  if (desired && !isProcessObject(desired) && !isJobObject(desired)) return { actions: [], results: [] };
  const instances = observed.get(key) ?? NO_INSTANCES;
  const object = desired && isProcessObject(desired) ? desired : undefined;
  reportTransitions(deps, key, instances, object);
  if (desired && isJobObject(desired)) return planJobKey(deps, key, desired, instances, observed);
  if (!object && heldByDependents(deps, key, observed)) return NOTHING_TO_DO;
  const trialWake = circuitCheckTrial(deps, object, instances);
  const history = deps.history.get();
  const health = deps.health?.();
  // Only an object with dependencies reads the others (and pays for the view).
  const world: DependencyWorld | undefined = object?.spec.dependsOn.length ? { objects: deps.desired(), observed, history, ...(health ? { health } : {}) } : undefined;
  const gate = object && world ? reportDependencies(deps, object, instances, world) : undefined;
  const planned = planObject(key, object, instances, history.get(key), deps.clock.now(), health?.get(key), deps.breaches?.().get(key), gate);
  const actions = object && deps.scheduling && hasRequests(object) ? gateProcessStarts(planned, object, instances, deps.scheduling(observed).admission) : planned;
  if (actions.length === 0) {
    if (!object && instances.length === 0) deps.history.drop(key);
    return trialWake === undefined ? NOTHING_TO_DO : { actions: [], results: [], requeueAt: trialWake };
  }
  let requeueAt: number | undefined = trialWake;
  for (const action of actions) {
    if (action.type !== 'wait' || !Number.isFinite(action.until)) continue;
    requeueAt = Math.min(requeueAt ?? Infinity, action.until);
    if (action.reason === 'CrashLoopBackOff') announceBackoff(deps, action.object, action.instance, action.until, action.message);
  }
  if (!object && instances.length === 0) deps.history.drop(key);
  else if (object && actions.some((a) => a.reason === 'ScaleDown')) deps.history.trimSlots(key, object.spec.replicas);
  return requeueAt === undefined ? { actions, results: [] } : { requeueAt, actions, results: [] };
}

/** The asynchronous half: applies every non-wait action of `planned` in order. */
export async function applyPlanned(deps: ReconcileDeps, key: ObjectKey, planned: ReconcileResult): Promise<ReconcileResult> {
  const results: ActionResult[] = [];
  for (const action of planned.actions) {
    if (action.type === 'wait' || action.object !== key) continue;
    const result = await deps.executor.apply(action);
    recordResult(deps, result);
    results.push(result);
  }
  return { ...planned, results };
}

// Tells each exit of an instance once, as an event.
function reportTransitions(deps: ReconcileDeps, key: ObjectKey, instances: readonly ObservedInstance[], object: ProcessObject | undefined): void {
  for (const instance of instances) {
    if (instance.state !== 'exited' || deps.memory.reported.has(instance)) continue;
    deps.memory.reported.add(instance);
    // A fallback's end is no failure of the object's program: told as an event only.
    if (instance.exit && !instance.fallback) recordEnd(deps, key, instance, instance.exit, object);
    if (instance.exit && instance.exit.reason !== 'SpawnError') {
      const failed = !instance.exit.requested && (instance.exit.code !== 0 || instance.exit.signal !== null);
      deps.events.record({
        at: instance.exit.at,
        object: key,
        instance: instance.id,
        type: failed ? 'Warning' : 'Normal',
        reason: instance.exit.reason === 'Lost' ? 'Lost' : 'Exited',
        message: `${instance.id} (pid ${instance.pid}) ${describeExit(instance)}`,
      });
    }
  }
}

function processOf(deps: ReconcileDeps, key: ObjectKey): ProcessObject | undefined {
  const object = deps.desired().get(key);
  return object && isProcessObject(object) ? object : undefined;
}

// Keeps how the slot's instance ended, and the failure when it was one.
function recordEnd(deps: ReconcileDeps, key: ObjectKey, instance: ObservedInstance, exit: ExitInfo, object: ProcessObject | undefined): void {
  const type = classifyExit(exit, instance.stopReason);
  if (type === undefined) {
    deps.history.recordExit(key, instance.replica, exit);
    return;
  }
  const { code: exitCode, signal, stderrTail } = exit;
  const failure = { at: exit.at, instance: instance.id, type, exitCode, signal, ...(stderrTail ? { stderrTail } : {}), ...(exit.message ? { message: exit.message } : {}) };
  deps.history.recordExit(key, instance.replica, exit, failure);
  circuitOnFailure(deps, object, exit.at);
}

// A pruned object stops only after the pruned objects that depend on it have exited.
function heldByDependents(deps: ReconcileDeps, key: ObjectKey, observed: Observed): boolean {
  if (!deps.dependentsOf) return false;
  const desired = deps.desired();
  for (const other of deps.dependentsOf(key)) {
    if (!desired.has(other) && observed.get(other)?.some((i) => i.state !== 'exited')) return true;
  }
  return false;
}

// What an object's dependencies allow, told once per change: a wait before its start, or a
// dependency lost under running instances (which go on running: nothing is killed for it).
function reportDependencies(deps: ReconcileDeps, object: ProcessObject, instances: readonly ObservedInstance[], world: DependencyWorld): DependencyGate {
  const gate = gateOf(object, world);
  const said = gate.kind === 'met' ? 'met' : gate.message;
  const before = deps.memory.dependencies.get(object.key);
  if (before === said || (before === undefined && gate.kind === 'met')) return gate;
  deps.memory.dependencies.set(object.key, said);
  if (gate.kind === 'met') {
    deps.events.record({ object: object.key, type: 'Normal', reason: 'DependenciesMet', message: 'every dependency meets its condition' });
    return gate;
  }
  const live = instances.some((i) => i.state !== 'exited');
  const type = gate.kind === 'failed' || live ? 'Warning' : 'Normal';
  const reason = gate.kind === 'failed' || live ? 'DependencyFailure' : 'WaitingForDependency';
  const message = live ? `${gate.message}; the running instances are left running` : gate.message;
  deps.events.record({ object: object.key, type, reason, message });
  return gate;
}

function announceBackoff(deps: ReconcileDeps, key: ObjectKey, instance: string, until: number, message: string): void {
  if (deps.memory.backoff.get(instance) === until) return;
  deps.memory.backoff.set(instance, until);
  deps.events.record({ object: key, instance, type: 'Warning', reason: 'BackOff', message });
}

// Records what an action did: history for starts, an event for everything.
function recordResult(deps: ReconcileDeps, result: ActionResult): void {
  const { action } = result;
  if (!result.ok) {
    deps.events.record({
      object: action.object,
      instance: action.instance,
      type: 'Warning',
      reason: result.reason,
      message: `${action.instance}: ${result.message}`,
    });
    if (action.type === 'start' && !action.fallback) {
      deps.history.recordStart(action.object, action.replica, action.backoffAttempt, action.countsAsRestart);
    }
    return;
  }
  if ((action.type === 'start' && !action.fallback) || action.type === 'restart') {
    const attempt = action.type === 'start' ? action.backoffAttempt : 0;
    const counts = action.type === 'start' && action.countsAsRestart;
    deps.history.recordStart(action.object, action.replica, attempt, counts);
    if (action.type === 'start') countJobStart(deps, action);
    deps.history.recordRecovery(action.object, (action.type === 'start' ? action.replaces : undefined) ?? action.instance, deps.clock.now());
    if (action.type === 'start' && action.circuitTrial) {
      circuitOnTrial(deps, processOf(deps, action.object), action.instance, result.instance?.startedAt ?? deps.clock.now());
    }
    deps.memory.backoff.delete(action.instance);
  }
  deps.events.record({
    object: action.object,
    instance: action.instance,
    type: 'Normal',
    reason: eventReason(result),
    message: `${action.instance} ${result.outcome}${pidOf(result)}: ${action.message}`,
  });
}

function eventReason(result: ActionResult & { ok: true }): string {
  switch (result.outcome) {
    case 'starting':
      return 'Starting';
    case 'started':
      return result.action.type === 'start' && result.action.countsAsRestart ? 'Restarted' : 'Started';
    case 'restarted':
      return 'Restarted';
    case 'stopping':
      return 'Stopping';
    case 'stopped':
      return 'Stopped';
    case 'unchanged':
      return 'Unchanged';
    case 'suspended':
      return 'Suspended';
    case 'resumed':
      return 'Resumed';
  }
}

function pidOf(result: ActionResult & { ok: true }): string {
  return result.instance && result.instance.pid > 0 ? ` (pid ${result.instance.pid})` : '';
}
