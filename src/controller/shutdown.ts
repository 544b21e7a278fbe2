/**
 * Stopping every instance when the controller ends (SIGINT/SIGTERM to `tend up`, `tend down`): in
 * reverse dependency order (an object once nothing that depends on it runs any more; independent
 * objects all at once), done when every instance has exited.
 *
 * One look at every instance to begin; after that each change the executor reports is one
 * instance's, handled in O(1) (plus the dependencies of an object whose last instance ended), so
 * the stop of N instances is bounded by signalling them and their exits, not by looking at all of
 * them again per exit. Stops go out in slices of STOP_SLICE, other work running between.
 */
import type { Executor } from '../executor/executor.ts';
import type { History } from '../model/history.ts';
import type { ObservedInstance } from '../model/instance.ts';
import { isJobObject } from '../model/job.ts';
import { isProcessObject, type DesiredState, type ObjectKey } from '../model/object.ts';
import { keptRevisionStop, revisionStop } from '../planner/actions.ts';
import type { DependencyLinks } from './dependency-links.ts';

// Stops handed to the executor in one turn of the event loop.
const STOP_SLICE = 256;

/** What a shutdown needs of the controller. */
export interface ShutdownDeps {
  readonly executor: Executor;
  readonly desired: DesiredState;
  readonly links: DependencyLinks;
  /** The history now: the revision each instance was started with. */
  readonly history: () => History;
  /** Lets other work (API requests, exits) run between slices of stops. */
  readonly yieldTurn?: () => Promise<void>;
}

/** Stops every live instance, dependents first; resolves when all have exited. */
export async function shutdownAll(deps: ShutdownDeps): Promise<void> {
  const { executor } = deps;
  const book = createLiveBook();
  const asking = createAsker(deps, book);
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const settle = (): void => {
    if (book.count() > 0) return;
    unsubscribe();
    finish();
  };
  const seen = (instance: ObservedInstance): void => {
    const emptied = book.put(instance);
    if (instance.state !== 'exited') asking.askIfFree(instance);
    if (emptied) for (const dependency of deps.links.dependenciesOf(instance.object)) asking.askKeyIfFree(dependency);
    settle();
  };
  // An executor that does not say which instance changed: that object's list, looked at again.
  const reread = async (key: ObjectKey): Promise<void> => {
    for (const instance of (await executor.observe()).get(key) ?? []) seen(instance);
  };
  const unsubscribe = executor.subscribe((key, instance) => (instance ? seen(instance) : void reread(key)));
  asking.onResult(seen);
  for (const list of (await executor.observe()).values()) for (const instance of list) book.put(instance);
  for (const key of book.keys()) asking.askKeyIfFree(key);
  await asking.flush();
  settle();
  await done;
}

/** The instances not yet exited, per object, as last seen. */
interface LiveBook {
  /** Records `instance`; true when it was its object's last live one. */
  put(instance: ObservedInstance): boolean;
  live(key: ObjectKey): Iterable<ObservedInstance>;
  running(key: ObjectKey): boolean;
  keys(): ObjectKey[];
  count(): number;
}

function createLiveBook(): LiveBook {
  const byKey = new Map<ObjectKey, Map<string, ObservedInstance>>();
  let count = 0;
  return {
    put(instance) {
      let live = byKey.get(instance.object);
      const had = live?.has(instance.id) ?? false;
      if (instance.state !== 'exited') {
        if (!live) byKey.set(instance.object, (live = new Map<string, ObservedInstance>()));
        live.set(instance.id, instance);
        if (!had) count++;
        return false;
      }
      if (!live || !had) return false;
      live.delete(instance.id);
      count--;
      if (live.size > 0) return false;
      byKey.delete(instance.object);
      return true;
    },
    live: (key) => byKey.get(key)?.values() ?? [],
    running: (key) => byKey.has(key),
    keys: () => [...byKey.keys()],
    count: () => count,
  };
}

/** Asks instances to stop, each record once, an object only once no dependent of it runs. */
interface Asker {
  askIfFree(instance: ObservedInstance): void;
  askKeyIfFree(key: ObjectKey): void;
  /** Called with the record each stop left (stopping, or exited at once). */
  onResult(listener: (instance: ObservedInstance) => void): void;
  /** Resolves once every stop asked so far was handed to the executor. */
  flush(): Promise<void>;
}

function createAsker(deps: ShutdownDeps, book: LiveBook): Asker {
  // The record each instance was asked to stop as: a later record running again is asked again.
  const asked = new Map<string, ObservedInstance>();
  const queue: ObservedInstance[] = [];
  let sending: Promise<void> | undefined;
  let listener: (instance: ObservedInstance) => void = () => undefined;
  const free = (key: ObjectKey): boolean => {
    for (const other of deps.links.dependentsOf(key)) if (book.running(other)) return false;
    return true;
  };
  const askIfFree = (instance: ObservedInstance): void => {
    if (instance.state !== 'running' && instance.state !== 'starting') return;
    const id = `${instance.object}\0${instance.id}`;
    if (asked.get(id) === instance || !free(instance.object)) return;
    asked.set(id, instance);
    queue.push(instance);
    // Sent once the caller's loop has asked for all it will: a slice at a time.
    sending ??= Promise.resolve().then(send);
  };
  const send = async (): Promise<void> => {
    while (queue.length > 0) {
      for (const instance of queue.splice(0, STOP_SLICE)) void stopForShutdown(deps, instance).then((record) => record && listener(record));
      if (queue.length > 0) await deps.yieldTurn?.();
    }
    sending = undefined;
  };
  return {
    askIfFree,
    askKeyIfFree: (key) => {
      if (free(key)) for (const instance of [...book.live(key)]) askIfFree(instance);
    },
    onResult: (fn) => void (listener = fn),
    flush: async () => {
      while (sending) await sending;
    },
  };
}

// The stop of one instance, as the revision it was started with says; the record it left, when
// the executor says.
async function stopForShutdown(deps: ShutdownDeps, instance: ObservedInstance): Promise<ObservedInstance | undefined> {
  const key = instance.object;
  const object = deps.desired.objects.get(key);
  const history = deps.history().get(key);
  const runs = object && (isProcessObject(object) || isJobObject(object));
  const stop = runs ? revisionStop({ key, object, history }, instance, 'Shutdown', false) : keptRevisionStop(key, history, instance, 'Shutdown', false);
  const result = await deps.executor.apply(stop);
  return result.ok ? result.instance : undefined;
}
