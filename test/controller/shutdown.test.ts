/**
 * Stopping everything when the controller ends, against a small fake executor whose stops leave
 * the instance stopping until the test makes it exit: each instance is asked once, dependents
 * before what they depend on, the end waits for the last exit, and each exit costs one look at
 * that instance (the world is observed once, at the start), so 2,000 replicas stop in time linear
 * in their number.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shutdownAll } from '../../src/controller/shutdown.ts';
import { createDependencyLinks } from '../../src/controller/dependency-links.ts';
import type { Executor } from '../../src/executor/executor.ts';
import type { Action, ActionResult, StopAction } from '../../src/model/action.ts';
import type { History } from '../../src/model/history.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { DesiredState, ObjectKey, ProcessObject } from '../../src/model/object.ts';
import { OLD_HASH, processObject, running, SPEC } from '../planner/fixtures.ts';

interface FakeWorld {
  readonly executor: Executor;
  /** Stops asked, in order, as `object/instance`. */
  readonly stops: string[];
  /** The stop actions asked, in order. */
  readonly asked: StopAction[];
  /** How many times the whole world was observed. */
  observes(): number;
  /** Ends a stopping instance, as its exit would. */
  exit(object: ObjectKey, id: string): void;
}

// `tellInstance: false` plays an executor that names only the object that changed.
function fakeWorld(instances: readonly ObservedInstance[], tellInstance = true): FakeWorld {
  const table = new Map<ObjectKey, Map<string, ObservedInstance>>();
  for (const i of instances) (table.get(i.object) ?? table.set(i.object, new Map()).get(i.object))?.set(i.id, i);
  const listeners = new Set<(object: ObjectKey, instance?: ObservedInstance) => void>();
  const stops: string[] = [];
  const asked: StopAction[] = [];
  let observes = 0;
  const put = (i: ObservedInstance): ObservedInstance => (table.get(i.object)?.set(i.id, i), i);
  const executor: Executor = {
    observe: () => {
      observes++;
      return Promise.resolve(new Map([...table].map(([key, byId]) => [key, [...byId.values()]])));
    },
    apply: (action: Action): Promise<ActionResult> => {
      const current = table.get(action.object)?.get(action.instance);
      if (action.type !== 'stop' || !current || current.state !== 'running') return Promise.resolve({ ok: true, action, outcome: 'unchanged' });
      stops.push(`${action.object}/${action.instance}`);
      asked.push(action);
      return Promise.resolve({ ok: true, action, outcome: 'stopping', instance: put({ ...current, state: 'stopping' }) });
    },
    subscribe: (listener) => (listeners.add(listener), () => void listeners.delete(listener)),
    adopt: () => Promise.resolve({ adopted: [], lost: [], found: [] }),
    snapshot: () => [...table.values()].flatMap((byId) => [...byId.values()]),
    close: () => Promise.resolve(),
  };
  return {
    executor,
    stops,
    asked,
    observes: () => observes,
    exit(object, id) {
      const current = table.get(object)?.get(id);
      assert.equal(current?.state, 'stopping', `${id} exits only once asked to stop`);
      const exited = put({ ...current, state: 'exited', exit: { code: 0, signal: 'SIGTERM', at: 2000, reason: 'Exited', requested: true } });
      for (const listener of listeners) listener(object, tellInstance ? exited : undefined);
    },
  };
}

function desiredOf(objects: readonly ProcessObject[]): DesiredState {
  return { objects: new Map(objects.map((o) => [o.key, o])), revision: 'r1' };
}

const NO_HISTORY = (): History => new Map();

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// Resolves true once `promise` has settled, false while it is still pending after 50 turns.
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 50; i++) await turn();
  return done;
}

test('2,000 replicas: each asked once, one look at the world, done at the last exit', async () => {
  const n = 2000;
  const web = processObject('web', { replicas: n });
  const world = fakeWorld(Array.from({ length: n }, (_, i) => running(i)));
  const links = createDependencyLinks();
  const ending = shutdownAll({ executor: world.executor, desired: desiredOf([web]), links, history: NO_HISTORY, yieldTurn: turn });
  assert.equal(await settled(ending), false);
  assert.equal(world.stops.length, n);
  assert.equal(new Set(world.stops).size, n);
  for (let i = 0; i < n - 1; i++) world.exit('process/web', `web-${i}`);
  assert.equal(await settled(ending), false, 'one instance still stopping');
  world.exit('process/web', `web-${n - 1}`);
  assert.equal(await settled(ending), true);
  assert.equal(world.observes(), 1, 'exits are handled one instance at a time, never by looking at them all again');
  assert.equal(world.stops.length, n);
});

test('an object is stopped only once nothing that depends on it runs', async () => {
  const db = processObject('db');
  const web = processObject('web', { replicas: 2, dependsOn: [{ key: 'process/db', condition: 'ready' }] });
  const world = fakeWorld([running(0, {}, 'db'), running(0), running(1)]);
  const links = createDependencyLinks();
  links.update(desiredOf([db, web]).objects);
  const ending = shutdownAll({ executor: world.executor, desired: desiredOf([db, web]), links, history: NO_HISTORY });
  await settled(ending);
  assert.deepEqual(world.stops.sort(), ['process/web/web-0', 'process/web/web-1']);
  world.exit('process/web', 'web-0');
  await settled(ending);
  assert.deepEqual(world.stops.length, 2, 'web-1 still runs');
  world.exit('process/web', 'web-1');
  await settled(ending);
  assert.equal(world.stops.at(-1), 'process/db/db-0');
  world.exit('process/db', 'db-0');
  assert.equal(await settled(ending), true);
});

test('an executor that names only the object: its list is looked at again, and the stop ends', async () => {
  const world = fakeWorld([running(0), running(1)], false);
  const ending = shutdownAll({ executor: world.executor, desired: desiredOf([processObject('web', { replicas: 2 })]), links: createDependencyLinks(), history: NO_HISTORY });
  await settled(ending);
  world.exit('process/web', 'web-0');
  world.exit('process/web', 'web-1');
  assert.equal(await settled(ending), true);
});

test('nothing running: done at once, nothing asked', async () => {
  const world = fakeWorld([running(0, { state: 'exited' })]);
  await shutdownAll({ executor: world.executor, desired: desiredOf([]), links: createDependencyLinks(), history: NO_HISTORY });
  assert.deepEqual(world.stops, []);
});

test('each instance stops as the revision it was started with says, an object gone from the manifests too', async () => {
  const web = processObject('web', { replicas: 2, stop: { signal: 'SIGINT', gracePeriodMs: 1_000 } });
  const oldSpec = { ...SPEC, stop: { signal: 'SIGQUIT', gracePeriodMs: 3_000 } } as const;
  const gone = { ...SPEC, stop: { signal: 'SIGUSR2', gracePeriodMs: 5_000 } } as const;
  const world = fakeWorld([running(0, { specHash: OLD_HASH }), running(1), running(0, { specHash: OLD_HASH }, 'old'), running(0, { specHash: 'unknown' }, 'lost')]);
  const history: History = new Map([
    ['process/web', { generation: 2, contentHash: 'c', slots: {}, revisions: { [OLD_HASH]: oldSpec } }],
    ['process/old', { generation: 1, contentHash: 'c', slots: {}, revisions: { [OLD_HASH]: gone } }],
  ]);
  const ending = shutdownAll({ executor: world.executor, desired: desiredOf([web]), links: createDependencyLinks(), history: () => history });
  await settled(ending);
  const programOf = (a: StopAction): string | undefined => (a.program === oldSpec ? 'old' : a.program === web.spec ? 'current' : a.program === gone ? 'gone' : a.program && 'other');
  const policies = Object.fromEntries(world.asked.map((a) => [`${a.object}/${a.instance}`, [a.reason, a.stop.signal, a.stop.gracePeriodMs, programOf(a)]]));
  assert.deepEqual(policies, {
    'process/web/web-0': ['Shutdown', 'SIGQUIT', 3_000, 'old'],
    'process/web/web-1': ['Shutdown', 'SIGINT', 1_000, 'current'],
    'process/old/old-0': ['Shutdown', 'SIGUSR2', 5_000, 'gone'],
    'process/lost/lost-0': ['Shutdown', 'SIGTERM', 10_000, undefined],
  });
  for (const stop of world.asked) world.exit(stop.object, stop.instance);
  assert.equal(await settled(ending), true);
});
