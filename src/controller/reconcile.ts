/**
 * Applying one key's plan (planner/plan-key.ts makes it): write its history edits, tell its
 * events, remember what it told, then carry out its actions through the executor and record
 * what each did. Nothing here decides anything; the plan did.
 * Must not: read the clock other than through `deps.clock`, or keep state beyond `ReconcileMemory`.
 */
import type { ActionResult, StartAction } from '../model/action.ts';
import type { EventSink } from '../model/event.ts';
import type { ObservedInstance } from '../model/instance.ts';
import { isProcessObject, type ManifestObject, type ObjectKey } from '../model/object.ts';
import type { Executor } from '../executor/executor.ts';
import type { Clock } from '../platform/clock.ts';
import { recordTrial } from '../planner/circuit-breaker.ts';
import type { KeyPlan, PlanNotes } from '../planner/key-plan.ts';
import type { HistoryStore } from './store.ts';
import { CANCELLED, type ApplyWindow } from './apply-window.ts';

export interface ReconcileDeps {
  readonly executor: Executor;
  readonly history: HistoryStore;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly desired: () => ReadonlyMap<ObjectKey, ManifestObject>;
  readonly memory: ReconcileMemory;
}

/** What was already told, so each exit, back-off and dependency change is told once. */
export interface ReconcileMemory extends PlanNotes {
  readonly told: WeakSet<ObservedInstance>;
  readonly backoff: Map<string, number>;
  readonly dependencies: Map<ObjectKey, string>;
}

/** Creates empty reconcile memory. */
export function createReconcileMemory(): ReconcileMemory {
  return { told: new WeakSet(), backoff: new Map(), dependencies: new Map() };
}

/** True when `plan` holds anything for the executor (not only waits). */
export function hasWork(plan: KeyPlan): boolean {
  return plan.actions.some((a) => a.type !== 'wait');
}

/** Writes the plan's history edits, tells its events and keeps its notes: what it saw. */
export function recordPlan(deps: ReconcileDeps, plan: KeyPlan): void {
  if (plan.historyEdits.length > 0) deps.history.applyEdits(plan.key, plan.historyEdits);
  if (plan.events.length === 0 && plan.notes.length === 0) return;
  for (const event of plan.events) deps.events.record(event);
  for (const note of plan.notes) {
    if (note.type === 'told') deps.memory.told.add(note.instance);
    else if (note.type === 'backoff') deps.memory.backoff.set(note.instance, note.until);
    else deps.memory.dependencies.set(note.key, note.said);
  }
}

/**
 * Applies every non-wait action of `plan` through `window`: actions on different instances go out
 * together, those on one instance one after the other, all handed in in plan order; each result
 * is recorded in plan order. An action the window dropped (the controller is shutting down) is
 * neither applied nor recorded.
 */
export async function applyActions(deps: ReconcileDeps, plan: KeyPlan, window: ApplyWindow): Promise<ActionResult[]> {
  const launched = launchActions(deps.executor, plan, window);
  const results: ActionResult[] = [];
  for (const pending of launched) {
    const result = await pending;
    if (result === CANCELLED) continue;
    recordResult(deps, result);
    results.push(result);
  }
  return results;
}

// One chain per instance, so a stop and the start that follows it in one slot stay in order.
function launchActions(executor: Executor, plan: KeyPlan, window: ApplyWindow): Promise<ActionResult | typeof CANCELLED>[] {
  const chains = new Map<string, Promise<unknown>>();
  const launched: Promise<ActionResult | typeof CANCELLED>[] = [];
  for (const action of plan.actions) {
    if (action.type === 'wait' || action.object !== plan.key) continue;
    const before = chains.get(action.instance);
    const apply = (): Promise<ActionResult | typeof CANCELLED> => window.run(() => executor.apply(action));
    const result = before ? before.then(apply) : apply();
    // A bug that rejects one apply is reported once, through the first awaited; never unhandled.
    result.catch(() => undefined);
    chains.set(action.instance, result);
    launched.push(result);
  }
  return launched;
}

// Records what an action did: history for starts, an event for everything but a forgotten record.
function recordResult(deps: ReconcileDeps, result: ActionResult): void {
  const { action } = result;
  if (!result.ok) {
    deps.events.record({ object: action.object, instance: action.instance, type: 'Warning', reason: result.reason, message: `${action.instance}: ${result.message}` });
    if (action.type === 'start' && !action.fallback) deps.history.recordStart(action.object, action.replica, action.backoffAttempt, action.countsAsRestart);
    return;
  }
  if (action.type === 'start' && result.outcome !== 'unchanged') recordStarted(deps, action, result.instance);
  // A stop of an exited instance only forgets its record: its exit was told when seen.
  if (action.type === 'stop' && result.instance === undefined && result.outcome !== 'stopping') return;
  deps.events.record({
    object: action.object,
    instance: action.instance,
    type: 'Normal',
    reason: eventReason(result),
    message: `${action.instance} ${result.outcome}${pidOf(result)}: ${action.message}`,
  });
}

function recordStarted(deps: ReconcileDeps, action: StartAction, instance: ObservedInstance | undefined): void {
  deps.memory.backoff.delete(action.instance);
  if (action.fallback) return;
  deps.history.recordStart(action.object, action.replica, action.backoffAttempt, action.countsAsRestart);
  countJobStart(deps, action);
  deps.history.recordRecovery(action.object, action.replaces ?? action.instance, deps.clock.now());
  if (action.circuitTrial) circuitOnTrial(deps, action, instance?.startedAt ?? deps.clock.now());
}

// A Job start was applied: a retry counts against backoffLimit, a requeue as a restart.
function countJobStart(deps: ReconcileDeps, action: StartAction): void {
  if (!action.jobRetry && !action.jobRequeue) return;
  const record = deps.history.get().get(action.object)?.job;
  if (!record || record.specHash !== action.specHash) return;
  deps.history.applyEdits(action.object, [{ type: 'job', record: action.jobRetry ? { ...record, retries: record.retries + 1 } : { ...record, requeues: record.requeues + 1 } }]);
}

// The half-open circuit's trial was started at `at` (its own start time, so the trial can be told apart).
function circuitOnTrial(deps: ReconcileDeps, action: StartAction, at: number): void {
  const object = deps.desired().get(action.object);
  const policy = object && isProcessObject(object) ? object.spec.circuitBreaker : undefined;
  const before = deps.history.get().get(action.object)?.circuit;
  if (!policy || !before) return;
  deps.history.applyEdits(action.object, [{ type: 'circuit', circuit: recordTrial(before, policy, at) }]);
  deps.events.record({ object: action.object, instance: action.instance, type: 'Normal', reason: 'CircuitHalfOpen', message: `circuit half-open: ${action.instance} is the trial` });
}

function eventReason(result: ActionResult & { ok: true }): string {
  switch (result.outcome) {
    case 'starting':
      return 'Starting';
    case 'started':
      return 'Started';
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
