/**
 * An executor that runs nothing: it records the actions it is given and simulates their effect
 * in memory (a stop exits at once). Used by `--dry-run`, `tend diff` and controller tests.
 * Keep it tiny; it must not grow into a second local executor.
 */
import type { Action, ActionResult, ResumeAction, StartAction, StopAction, SuspendAction } from '../model/action.ts';
import { exitOf, isLimitStop, type ExitInfo, type Observed, type ObservedInstance } from '../model/instance.ts';
import type { ObjectKey } from '../model/object.ts';
import type { Clock } from '../platform/clock.ts';
import type { AdoptReport, Executor } from './executor.ts';

/** The dry-run executor and what it was asked to do. */
export interface DryRunExecutor extends Executor {
  /** Every action applied, in order. */
  readonly applied: Action[];
  /** Simulates an instance exiting on its own (default: code 1) and notifies subscribers. */
  exit(object: ObjectKey, instance: string, end?: Pick<ExitInfo, 'code' | 'signal'>): void;
}

/**
 * Creates a dry-run executor seeded with `initial`; `clock` stamps start and exit times.
 * @example
 * const executor = createDryRunExecutor(await real.observe());
 * for (const action of plan) await executor.apply(action);
 */
export function createDryRunExecutor(initial?: Observed, clock: Pick<Clock, 'now'> = { now: () => Date.now() }): DryRunExecutor {
  const world = new Map<ObjectKey, readonly ObservedInstance[]>(initial);
  // The map observe() hands out, rebuilt only after a change (observing is per reconcile).
  let snapshot: Observed | undefined;
  const listeners = new Set<(object: ObjectKey) => void>();
  const applied: Action[] = [];
  let nextPid = 100_000;

  const put = (instance: ObservedInstance, replaces: (other: ObservedInstance) => boolean): void => {
    const rest = (world.get(instance.object) ?? []).filter((other) => !replaces(other));
    world.set(instance.object, [...rest, instance]);
    snapshot = undefined;
  };
  const remove = (object: ObjectKey, id: string): void => {
    const rest = (world.get(object) ?? []).filter((other) => other.id !== id);
    if (rest.length > 0) world.set(object, rest);
    else world.delete(object);
    snapshot = undefined;
  };
  const find = (object: ObjectKey, id: string): ObservedInstance | undefined =>
    world.get(object)?.find((instance) => instance.id === id);
  const notify = (object: ObjectKey): void => queueMicrotask(() => listeners.forEach((listener) => listener(object)));

  const launch = (action: StartAction): ActionResult => {
    const current = find(action.object, action.instance);
    if (current && current.state !== 'exited') {
      return { ok: true, action, outcome: 'unchanged', instance: current };
    }
    const { object, replica, specHash, generation } = action;
    const pid = (nextPid += 1);
    const fallback = action.fallback === true;
    const instance: ObservedInstance = { id: action.instance, object, replica, pid, startTicks: 0, specHash, generation, startedAt: clock.now(), state: 'running', ...(fallback ? { fallback } : {}) };
    put(instance, (other) => other.id === action.instance || (other.state === 'exited' && other.replica === replica && (other.fallback === true) === fallback));
    return { ok: true, action, outcome: 'started', instance };
  };
  const stop = (action: StopAction): ActionResult => {
    const current = find(action.object, action.instance);
    if (!current || (current.state === 'exited' && !action.forget)) return { ok: true, action, outcome: 'unchanged' };
    if (current.state === 'exited') {
      remove(action.object, action.instance);
      return { ok: true, action, outcome: 'stopped' };
    }
    const stopMessage = isLimitStop(action.reason) ? { stopMessage: action.message } : {};
    const stopping: ObservedInstance = { ...current, state: 'stopping', stopReason: action.reason, ...stopMessage };
    const exit = exitOf(stopping, { code: null, signal: action.stop.signal, reason: 'Exited' }, clock.now());
    const exited: ObservedInstance = { ...stopping, state: 'exited', exit };
    // The stop tells what it stopped; with `forget` the record goes at once.
    if (action.forget) remove(action.object, action.instance);
    else put(exited, (other) => other.id === current.id);
    notify(action.object);
    return { ok: true, action, outcome: 'stopped', instance: exited };
  };

  // Suspend and resume only mark the instance, as the local executor does.
  const pause = (action: SuspendAction | ResumeAction): ActionResult => {
    const current = find(action.object, action.instance);
    if (!current || current.state === 'exited') return { ok: true, action, outcome: 'unchanged' };
    const now = clock.now();
    const { suspendedAt, ...rest } = current;
    const next: ObservedInstance = action.type === 'suspend'
      ? { ...current, suspendedAt: suspendedAt ?? now }
      : { ...rest, suspendedMs: (current.suspendedMs ?? 0) + (suspendedAt === undefined ? 0 : now - suspendedAt), resumedAt: now };
    put(next, (other) => other.id === current.id);
    return { ok: true, action, outcome: action.type === 'suspend' ? 'suspended' : 'resumed', instance: next };
  };

  return {
    applied,
    observe: () => Promise.resolve((snapshot ??= new Map(world))),
    apply(action) {
      applied.push(action);
      if (action.type === 'wait') return Promise.resolve({ ok: true, action, outcome: 'unchanged' });
      if (action.type === 'suspend' || action.type === 'resume') return Promise.resolve(pause(action));
      return Promise.resolve(action.type === 'stop' ? stop(action) : launch(action));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    adopt(records): Promise<AdoptReport> {
      const adopted = records.filter((record) => record.state !== 'exited');
      for (const record of records) put(record, (other) => other.id === record.id);
      return Promise.resolve({ adopted, lost: [], found: [] });
    },
    snapshot: () => [...world.values()].flat(),
    close: () => Promise.resolve(),
    exit(object, instance, end = { code: 1, signal: null }) {
      const current = find(object, instance);
      if (!current || current.state === 'exited') return;
      const exit: ExitInfo = { ...end, at: clock.now(), reason: 'Exited', requested: current.state === 'stopping' };
      put({ ...current, state: 'exited', exit }, (other) => other.id === instance);
      notify(object);
    },
  };
}
