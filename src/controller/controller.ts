/**
 * The controller: owns the desired state, the history store and the work queue, and drains the
 * queue through `reconcileKey`. Events (manifest load, instance exit, timer, operator command)
 * only enqueue keys. It does no I/O of its own: loading, watching and persistence are wired in by
 * the caller (`cli/commands/up.ts`, `reconcile.ts`).
 */
import type { Action } from '../model/action.ts';
import type { EventSink } from '../model/event.ts';
import type { HealthSource } from '../model/health.ts';
import type { History } from '../model/history.ts';
import type { Observed, ObservedInstance } from '../model/instance.ts';
import { isJobObject } from '../model/job.ts';
import { isProcessObject, type DesiredState, type ManifestObject, type ObjectKey, type ProcessSpec } from '../model/object.ts';
import type { Executor } from '../executor/executor.ts';
import type { Clock } from '../platform/clock.ts';
import { alwaysAwaitable, type TurnYield } from '../platform/turn-budget.ts';
import { resetCircuit } from '../planner/circuit-breaker.ts';
import { actionsOf, planAll, planKey, reportKeyExits } from '../planner/plan-key.ts';
import type { KeyPlan, PlanWorld } from '../planner/key-plan.ts';
import { planWorld } from '../planner/plan-world.ts';
import { standingOrders } from '../planner/standing-order.ts';
import { createOrderMemo } from './order-memo.ts';
import { createSteadyMemo } from './steady-memo.ts';
import { mergeLoad, type FileBook, type FileOutcome } from './desired.ts';
import { createWorkQueue } from './queue.ts';
import { applyActions, createReconcileMemory, hasWork, recordPlan, type ReconcileDeps } from './reconcile.ts';
import type { ActionResult } from '../model/action.ts';
import { createDependencyLinks } from './dependency-links.ts';
import type { LimitSource } from './resource-guard.ts';
import { createHistoryStore, type GenerationChange } from './store.ts';
import { createPoolManager, type PoolManager } from './pools.ts';
import type { ResourceUsage } from '../model/usage.ts';
import { createSchedulingMemo } from './scheduling-memo.ts';
import { createApplyWindow } from './apply-window.ts';
import { shutdownAll } from './shutdown.ts';
import type { MachineCapacity } from '../planner/node-policy.ts';
import type { SchedulingView } from '../planner/scheduling.ts';

export interface ControllerOptions {
  readonly executor: Executor;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly history?: History;
  /** Last valid objects per file, restored from the state file. */
  readonly book?: FileBook;
  readonly revision?: string;
  /** How long a vanished or emptied manifest file keeps its objects. */
  readonly pruneGraceMs: number;
  /** Asked to load the manifests again (a missing file's grace ended). */
  readonly requestReload?: () => void;
  /** Something worth persisting changed. */
  readonly onChange?: () => void;
  /**
   * Writes the state now. Awaited before the actions of a plan that changes a circuit, so a
   * controller killed right after (say) starting a fallback comes back to the same circuit and
   * adopts that fallback instead of starting a second one (write-ahead of what the action relies on).
   */
  readonly persistNow?: () => Promise<void>;
  /** A reconcile threw (a bug); logged by the caller. */
  readonly onError?: (key: ObjectKey, error: unknown) => void;
  /** Probe observations; a change of an object's health enqueues its key. */
  readonly health?: HealthSource;
  /** Resource limit breaches; a new breach enqueues its object. */
  readonly limits?: LimitSource;
  /** The latest resource sample of an instance (pool autoscaling reads it). */
  readonly usage?: (instance: ObservedInstance) => ResourceUsage | undefined;
  /** The machine's cores and memory: the Node's capacity where it does not say. */
  readonly machine?: MachineCapacity;
  /** Queue work but run no pass until `release()` (a one-off pass plans everything at once). */
  readonly held?: boolean;
  /** Each pass's plans, once it has applied them (a pass plans every key it took at one moment). */
  readonly onPass?: (plans: readonly KeyPlan[]) => void;
  /** How many actions may be under way in the executor at once (default {@link DEFAULT_APPLY_WINDOW}). */
  readonly applyWindow?: number;
  /**
   * Lets other work (API requests, signals) run; a pass planning many keys asks it after every
   * key. Without it a pass plans its whole batch in one turn.
   */
  readonly yieldTurn?: TurnYield;
  /** The drain's yield, when it differs from `yieldTurn` (a background one: see turn-budget.ts). */
  readonly drainTurn?: TurnYield;
}

export type OperatorVerb = 'start' | 'stop' | 'restart';

export interface Controller {
  /** Merges one manifest load; enqueues every object whose definition changed, and returns their keys. */
  applyLoad(files: readonly FileOutcome[], revision: string): readonly ObjectKey[];
  /** Enqueues every known object (desired or observed). */
  enqueueAll(): Promise<void>;
  /** Resolves once the queue is drained and no reconcile runs. */
  idle(): Promise<void>;
  /** Starts the passes a `held` controller kept back. */
  release(): void;
  /** `tend start|stop|restart`; false for an unknown object. */
  operate(key: ObjectKey, verb: OperatorVerb): boolean;
  desired(): DesiredState;
  history(): History;
  book(): FileBook;
  /** ProcessPool leases and replica decisions. */
  readonly pools: PoolManager;
  /**
   * The full plan for the current state, without applying it (`tend diff`); with `keys`, theirs
   * only; with `at`, against that observation and time (a status shows the plan of the moment
   * it observed), else against a fresh one; with `yieldTurn`, that budget instead of the
   * controller's (an answer that runs in one turn gives none).
   */
  plan(keys?: readonly ObjectKey[], at?: { readonly observed: Observed; readonly now: number }, yieldTurn?: TurnYield): Promise<readonly Action[]>;
  /** The scheduling pass over the current state: verdicts and statistics. */
  scheduling(): Promise<SchedulingView>;
  /** Stops every instance (SIGINT/SIGTERM to `tend up`) and resolves when all have exited. */
  shutdown(): Promise<void>;
  close(): void;
}

/** Actions under way in the executor at once, across all keys of a pass. */
export const DEFAULT_APPLY_WINDOW = 16;

/** A turn budget that never gives up the turn: the work runs in the turn it started in. */
export const NEVER_YIELD: TurnYield = () => undefined;

// Without the machine's figures, only a Node's capacity limits anything.
const UNBOUNDED_MACHINE: MachineCapacity = { cpu: Number.MAX_SAFE_INTEGER, memory: Number.MAX_SAFE_INTEGER };

/** Creates a controller and subscribes it to its executor's exits. */
export function createController(options: ControllerOptions): Controller {
  const { executor, clock, events } = options;
  const store = createHistoryStore(options.history);
  const queue = createWorkQueue(clock);
  let book: FileBook = options.book ?? new Map();
  let desired: DesiredState = { objects: mergeLoad(book, [], clock.now(), Infinity).objects, revision: options.revision ?? '' };
  let draining = false;
  // Settles when the drain under way has ended (its applies included).
  let drained: Promise<void> = Promise.resolve();
  const window = createApplyWindow(options.applyWindow ?? DEFAULT_APPLY_WINDOW);
  let held = options.held === true;
  let closed = false;
  let idleWaiters: (() => void)[] = [];
  let cancelReload: (() => void) | undefined;
  const health = options.health;
  const links = createDependencyLinks();
  links.update(desired.objects);
  const limits = options.limits;
  // Pools run with the replica count their pool planner decided: the desired state as planned.
  const pools = createPoolManager({
    clock,
    events,
    observe: () => executor.observe(),
    objects: () => desired.objects,
    enqueue: (key) => queue.add(key),
    ...(options.health ? { health: options.health } : {}),
    ...(options.usage ? { usage: options.usage } : {}),
  });
  let planned: DesiredState = desired;
  const current = (): DesiredState => {
    const objects = pools.effective(desired.objects);
    if (objects !== planned.objects || planned.revision !== desired.revision) planned = { objects, revision: desired.revision };
    return planned;
  };
  const scheduling = createSchedulingMemo({ machine: options.machine ?? UNBOUNDED_MACHINE, objects: () => current().objects, history: () => store.get(), clock });
  const deps: ReconcileDeps = { executor, history: store, clock, events, desired: () => current().objects, memory: createReconcileMemory() };
  const machine = options.machine ?? UNBOUNDED_MACHINE;
  // One consistent moment: every key of a batch is planned against it and one scheduling pass.
  const worldAt = (observed: Observed, now: number): PlanWorld => planWorld({
    objects: current().objects,
    observed,
    history: store.get(),
    now,
    machine,
    scheduling: scheduling.view(observed, now),
    notes: deps.memory,
    dependentsOf: (key) => links.dependentsOf(key),
    ...(health ? { health: health.health() } : {}),
    ...(limits ? { breaches: limits.breaches() } : {}),
  });

  // A change of `key` may let its dependents start, or let a pruned dependency of it stop.
  const touch = (key: ObjectKey): void => {
    queue.add(key);
    for (const other of links.dependentsOf(key)) queue.add(other);
    for (const other of links.dependenciesOf(key)) queue.add(other);
  };

  // Works through the queue in batches: one observation per batch, every key of it planned
  // against that moment (keys with nothing to do synchronously, so a no-change pass costs no
  // await per key), the actions of all keys applied together through the window, and the next
  // batch observed once they are all done. A long batch lets other work run when its turn is spent.
  const drain = async (): Promise<void> => {
    if (draining || held) return;
    draining = true;
    const before = store.get();
    let acted = false;
    let finished: () => void = () => undefined;
    drained = new Promise((resolve) => (finished = resolve));
    while (!closed && queue.length > 0) {
      const batch = queue.takeAll();
      let world = worldAt(await executor.observe(), clock.now());
      const plans: KeyPlan[] = [];
      const applying: Promise<void>[] = [];
      // Keys with nothing to apply are done together once the batch is planned.
      const settled: ObjectKey[] = [];
      for (const key of batch) {
        const turn = (options.drainTurn ?? options.yieldTurn)?.();
        if (turn) {
          await turn;
          // An operator command may have changed the history meanwhile.
          if (world.history !== store.get()) world = { ...world, history: store.get() };
        }
        const pending = closed ? undefined : reconcileOne(key, world, plans);
        if (pending) {
          acted = true;
          applying.push(pending);
        } else settled.push(key);
      }
      queue.doneAll(settled);
      await Promise.all(applying);
      // A replacement started on a standing order that this batch saw end and did not restart goes.
      executor.settle?.();
      options.onPass?.(plans);
      // What this batch did may let waiting work start, or ask running work to give way.
      if (!closed) await wakeScheduled();
    }
    draining = false;
    // Persist only what changed: an idle resync writes nothing.
    if (acted || store.get() !== before) options.onChange?.();
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
    finished();
  };

  // Wakes the objects the scheduling decision asks to act, and again when aging or a time slice
  // may change the decision with nothing else changing.
  let cancelSchedulingWake: (() => void) | undefined;
  let schedulingWakeAt: number | undefined;
  const wakeScheduled = async (): Promise<void> => {
    const next = scheduling.wake(await executor.observe(), (key) => queue.add(key));
    if (next === schedulingWakeAt || closed) return;
    cancelSchedulingWake?.();
    schedulingWakeAt = next;
    cancelSchedulingWake = next === undefined ? undefined : clock.after(next - clock.now(), () => {
      schedulingWakeAt = undefined;
      void wakeScheduled();
    });
  };

  const ordersOf = createOrderMemo(standingOrders);
  const steady = createSteadyMemo();

  // Plans one key and records what it saw; returns a promise only when there are actions to apply.
  // A steady key seen as it was plans nothing again, and its orders are armed as they were.
  const reconcileOne = (key: ObjectKey, world: PlanWorld, plans: KeyPlan[]): Promise<void> | undefined => {
    try {
      if (steady.holds(world, key)) {
        queue.forget(key);
        return undefined;
      }
      const planned = planKey(world, key);
      steady.planned(world, planned);
      if (executor.arm && !closed) executor.arm(key, ordersOf(world, key));
      if (planned.actions.length > 0) plans.push(planned);
      if (!hasWork(planned)) {
        recordPlan(deps, planned);
        finish(key, planned, []);
        return undefined;
      }
      return applyPlanned(planned).then(
        (results) => finish(key, planned, results),
        (error: unknown) => fail(key, error),
      ).finally(() => queue.done(key));
    } catch (error) {
      fail(key, error);
      return undefined;
    }
  };

  // Starts go out before what the plan saw is recorded, in the same turn (so before any result): a
  // restart's spawn request does not wait for the exit's events and history to be written. A plan
  // that changes a circuit is recorded and saved first (write-ahead of what its actions rely on),
  // and one with other actions is recorded first, so its events come before what the actions tell.
  const applyPlanned = (planned: KeyPlan): Promise<ActionResult[]> => {
    const circuit = planned.historyEdits.some((e) => e.type === 'circuit');
    if (!circuit && planned.actions.every((a) => a.type === 'start' || a.type === 'wait')) {
      const applying = applyActions(deps, planned, window);
      recordPlan(deps, planned);
      return applying;
    }
    recordPlan(deps, planned);
    if (!circuit || !options.persistNow) return applyActions(deps, planned, window);
    return options.persistNow().then(() => applyActions(deps, planned, window));
  };

  // Something was done: look again at once, since one pass may only be a step (a rolling update
  // starts one instance per pass); a pass with nothing to do ends the loop.
  const finish = (key: ObjectKey, planned: KeyPlan, results: readonly ActionResult[]): void => {
    queue.forget(key);
    if (results.length > 0) pools.changed(key);
    if (results.some((r) => r.ok && r.outcome !== 'unchanged')) touch(key);
    else {
      // What the plan recorded (a Job's completion, a circuit opening) may be what a dependent
      // waits for, and a dependent planned in the same batch saw the history from before it.
      if (planned.historyEdits.length > 0) for (const other of links.dependentsOf(key)) queue.add(other);
      if (planned.requeueAt !== undefined) queue.addAt(key, planned.requeueAt);
    }
  };

  const fail = (key: ObjectKey, error: unknown): void => {
    options.onError?.(key, error);
    queue.addFailed(key);
  };

  // The pass starts once the turn that queued the first key is done: a load queues all its keys in
  // one turn, and they go out in one pass instead of the first alone (whose start would hold the
  // rest back for a whole pass, the spawn helper's own start included).
  queue.onReady(() => queueMicrotask(() => void drain()));
  const unsubscribeExits = executor.subscribe(touch);
  const unsubscribeHealth = health?.subscribe(touch);
  const unsubscribeLimits = limits?.subscribe((key) => queue.add(key));
  const unsubscribePools = executor.subscribe((key) => pools.changed(key));
  const unsubscribe = (): void => {
    unsubscribeExits();
    unsubscribeHealth?.();
    unsubscribeLimits?.();
    unsubscribePools();
    pools.close();
  };

  return {
    applyLoad(files, revision) {
      const merged = mergeLoad(book, files, clock.now(), options.pruneGraceMs);
      const previous = desired.objects;
      book = merged.book;
      desired = { objects: merged.objects, revision };
      links.update(merged.objects);
      const changed = changedKeys(previous, merged.objects);
      keepRevisions(changed, previous, merged.objects);
      store.syncGenerations(generationChanges(changed, merged.objects));
      // A changed definition disarms first: the next plan arms what it says.
      for (const key of changed) executor.arm?.(key, []);
      for (const key of changed) queue.add(key);
      pools.desiredChanged();
      cancelReload?.();
      cancelReload = merged.wakeAt === undefined ? undefined : clock.after(merged.wakeAt - clock.now(), () => options.requestReload?.());
      options.onChange?.();
      return changed;
    },
    async enqueueAll() {
      for (const key of desired.objects.keys()) queue.add(key);
      for (const key of (await executor.observe()).keys()) queue.add(key);
    },
    idle() {
      if (!draining && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    release() {
      held = false;
      void drain();
    },
    operate(key, verb) {
      const known = desired.objects.has(key) || store.get().has(key);
      if (!known) return false;
      const generation = store.get().get(key)?.generation ?? 1;
      // No standing order may restart what the operator stops or restarts.
      executor.arm?.(key, []);
      if (verb === 'stop') store.setOverride(key, { type: 'stopped', at: clock.now(), generation });
      else store.setOverride(key, undefined);
      if (verb === 'restart') {
        store.requestRestart(key, clock.now());
        closeCircuitByOperator(key);
      }
      events.record({ object: key, type: 'Normal', reason: operatorReason(verb), message: `operator ${verb} of ${key}` });
      // Written ahead of what the command does: a controller killed once the program has stopped
      // comes back holding it stopped (and one killed after a start or restart does not undo it).
      // The command is carried out even when the save fails (the saver reports that itself).
      const act = (): void => queue.add(key);
      if (options.persistNow) void options.persistNow().then(act, act);
      else act();
      return true;
    },
    desired: current,
    pools,
    history: () => store.get(),
    book: () => book,
    async plan(keys, at, yieldTurn) {
      // One moment, planned a turn at a time: a plan of 10,000 keys does not hold the loop.
      // A key whose inputs are those the pass last planned it with (and whose plan waits on no
      // time) has that plan's actions: a diff during a bring-up does not plan every start again.
      const world = at ? worldAt(at.observed, at.now) : worldAt(await executor.observe(), clock.now());
      return actionsOf(await planAll(world, keys, yieldTurn ?? options.yieldTurn ?? NEVER_YIELD, (key) => steady.reusable(world, key)));
    },
    async scheduling() {
      return scheduling.view(await executor.observe());
    },
    async shutdown() {
      // Nothing more is launched (no standing order either); what was handed to the executor is
      // waited for, then stopped.
      executor.disarm?.();
      closeQueue();
      await drained;
      await shutdownAll({ executor, desired, links, history: () => store.get(), ...(options.yieldTurn ? { yieldTurn: alwaysAwaitable(options.yieldTurn) } : {}) });
      // Every end is told, these too.
      const world = worldAt(await executor.observe(), clock.now());
      for (const key of world.observed.keys()) recordPlan(deps, reportKeyExits(world, key));
      options.onChange?.();
    },
    close: () => closeQueue(),
  };

  // What runs keeps being supervised by the spec it was started with: the revision the manifest
  // held before a change (or before it went away) is kept until no instance runs it.
  function keepRevisions(keys: readonly ObjectKey[], before: ReadonlyMap<ObjectKey, ManifestObject>, after: ReadonlyMap<ObjectKey, ManifestObject>): void {
    for (const key of keys) {
      const old = before.get(key);
      if (!old || after.get(key)?.specHash === old.specHash) continue;
      const spec = runnableSpecOf(old);
      if (spec) store.applyEdits(key, [{ type: 'revision', specHash: old.specHash, spec }]);
    }
  }

  // `tend restart` on an open circuit is the operator's override: closed, and said so.
  function closeCircuitByOperator(key: ObjectKey): void {
    const circuit = store.get().get(key)?.circuit;
    if (!circuit || circuit.state === 'Closed') return;
    store.setCircuit(key, resetCircuit());
    events.record({ object: key, type: 'Warning', reason: 'CircuitClosed', message: 'circuit closed by the operator (tend restart): override of the circuit breaker' });
  }

  function closeQueue(): void {
    if (closed) return;
    closed = true;
    window.cancel();
    cancelSchedulingWake?.();
    queue.close();
    cancelReload?.();
    unsubscribe();
  }
}

function operatorReason(verb: OperatorVerb): string {
  return verb === 'stop' ? 'OperatorStop' : verb === 'start' ? 'OperatorStart' : 'OperatorRestart';
}

// An UnlessStopped stop outlives manifest edits until `tend start`.
function keepsOverride(object: ManifestObject): boolean {
  return isProcessObject(object) && object.spec.restartPolicy === 'UnlessStopped';
}

/** The generation changes for `keys` that are still desired. */
export function generationChanges(keys: Iterable<ObjectKey>, objects: ReadonlyMap<ObjectKey, ManifestObject>): GenerationChange[] {
  const changes: GenerationChange[] = [];
  for (const key of keys) {
    const object = objects.get(key);
    if (object) changes.push({ key, contentHash: object.contentHash, keepOverride: keepsOverride(object) });
  }
  return changes;
}

function changedKeys(before: ReadonlyMap<ObjectKey, ManifestObject>, after: ReadonlyMap<ObjectKey, ManifestObject>): ObjectKey[] {
  const keys: ObjectKey[] = [];
  for (const [key, object] of after) if (before.get(key)?.contentHash !== object.contentHash) keys.push(key);
  for (const key of before.keys()) if (!after.has(key)) keys.push(key);
  return keys;
}

// The spec an object's instances run (a Job's is a process spec and more).
function runnableSpecOf(object: ManifestObject): ProcessSpec | undefined {
  return isProcessObject(object) || isJobObject(object) ? object.spec : undefined;
}
