/**
 * The steady memo: a key whose last plan was empty while all its instances ran holds while its
 * object, history entry, instance records, health and breaches are the same values; anything else
 * (a change of any of them, a plan that did something, an instance not running, an object that
 * reads other objects) is planned again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createController } from '../../src/controller/controller.ts';
import { createSteadyMemo } from '../../src/controller/steady-memo.ts';
import { createDryRunExecutor } from '../../src/executor/dry-run.ts';
import type { Executor } from '../../src/executor/executor.ts';
import type { Health } from '../../src/model/health.ts';
import type { History } from '../../src/model/history.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { ManifestObject, ObjectKey } from '../../src/model/object.ts';
import { emptyPlan, type KeyPlan, type PlanWorld } from '../../src/planner/key-plan.ts';
import { planKey } from '../../src/planner/plan-key.ts';
import { planWorld } from '../../src/planner/plan-world.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';
import { exited, KEY, NOW, processObject, running } from '../planner/fixtures.ts';

interface Parts {
  readonly object: ManifestObject;
  readonly instances: readonly ObservedInstance[];
  readonly history?: History;
  readonly health?: Health;
  readonly now?: number;
}

function worldOf({ object, instances, history = new Map(), health, now = NOW }: Parts): PlanWorld {
  return planWorld({ objects: new Map([[KEY, object]]), observed: new Map([[KEY, instances]]), history, now, machine: { cpu: 8, memory: 2 ** 34 }, ...(health ? { health } : {}) });
}

// Plans the world once and notes it, as a pass does; true when the memo then holds for `next`.
function holdsAfter(first: Parts, next: Parts, plan: (world: PlanWorld) => KeyPlan = (world) => planKey(world, KEY)): boolean {
  const memo = createSteadyMemo();
  const world = worldOf(first);
  memo.planned(world, plan(world));
  return memo.holds(worldOf(next), KEY);
}

const object = processObject('web', { replicas: 2 });
const [a, b] = [running(0), running(1)];
const history: History = new Map([[KEY, { generation: 1, contentHash: 'c', slots: {} }]]);

test('a steady key seen with the same records holds, later too: its plan reads no clock', () => {
  const parts = { object, instances: [a, b], history };
  assert.equal(planKey(worldOf(parts), KEY).actions.length, 0, 'the fixture is steady');
  assert.equal(holdsAfter(parts, { ...parts, instances: [a, b], now: NOW + 3_600_000 }), true);
});

test('a changed object, history entry, instance record or health is planned again', () => {
  const parts = { object, instances: [a, b], history };
  assert.equal(holdsAfter(parts, { ...parts, object: processObject('web', { replicas: 2 }) }), false, 'another object');
  assert.equal(holdsAfter(parts, { ...parts, history: new Map([[KEY, { generation: 1, contentHash: 'c', slots: {} }]]) }), false, 'another history entry');
  assert.equal(holdsAfter(parts, { ...parts, instances: [a, { ...b, pid: 999 }] }), false, 'an instance record');
  assert.equal(holdsAfter(parts, { ...parts, instances: [a] }), false, 'an instance gone');
  const health: Health = new Map([[KEY, new Map()]]);
  assert.equal(holdsAfter(parts, { ...parts, health }), false, 'health observed');
});

test('a plan that did anything, or an instance not running, is not remembered', () => {
  const parts = { object, instances: [a, b], history };
  const withWake = (world: PlanWorld): KeyPlan => ({ ...emptyPlan(KEY), requeueAt: world.now + 1 });
  assert.equal(holdsAfter(parts, parts, withWake), false, 'a time to look again');
  const ended = { object, instances: [a, exited(1)], history };
  assert.equal(holdsAfter(ended, ended, () => emptyPlan(KEY)), false, 'an exited instance');
});

test("a fresh object's starts are reused by a plan for an answer while its inputs stay; not as steady, and not once they change", () => {
  const fresh = { object, instances: [] as ObservedInstance[] };
  const memo = createSteadyMemo();
  const world = worldOf(fresh);
  const starts = planKey(world, KEY);
  assert.deepEqual(starts.actions.map((x) => x.type), ['start', 'start'], 'the fixture starts two');
  memo.planned(world, starts);
  assert.equal(memo.reusable(worldOf({ ...fresh, now: NOW + 60_000 }), KEY), starts, 'the same inputs later: the same plan');
  assert.equal(memo.holds(world, KEY), false, 'a plan with actions is not steady');
  assert.equal(memo.reusable(worldOf({ object, instances: [a] }), KEY), undefined, 'one started since');
  const waiting = (w: PlanWorld): KeyPlan => ({ ...planKey(w, KEY), requeueAt: w.now + 1 });
  memo.planned(world, waiting(world));
  assert.equal(memo.reusable(world, KEY), undefined, 'a plan that waits on the clock is made again');
});

test('an object that reads other objects is planned every time', () => {
  const dependent = processObject('web', { replicas: 1, dependsOn: [{ key: 'process/db', condition: 'ready' }] });
  const parts = { object: dependent, instances: [a], history };
  assert.equal(holdsAfter(parts, parts, () => emptyPlan(KEY)), false);
});

test('through the controller: a resync of steady keys arms nothing again; an exit is planned and restarted', async () => {
  const clock = createFakeClock();
  const dry = createDryRunExecutor(undefined, clock);
  const armed: ObjectKey[] = [];
  const executor: Executor = new Proxy(dry, { get: (target, name): unknown => (name === 'arm' ? (key: ObjectKey) => void armed.push(key) : Reflect.get(target, name)) });
  const controller = createController({ executor, clock, events: { record: () => undefined }, pruneGraceMs: 0 });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await controller.idle();
    }
  };
  const files = ['web', 'db'].map((name) => ({ file: `${name}.yaml`, ok: true, empty: false, objects: [processObject(name, { replicas: 2 })] }));
  controller.applyLoad(files, 'r1');
  await settle();
  const running = async (): Promise<number> => [...(await executor.observe()).values()].flat().filter((i) => i.state === 'running').length;
  assert.equal(await running(), 4);
  const before = armed.length;
  await controller.enqueueAll();
  await settle();
  assert.equal(armed.length, before, 'the resync planned and armed nothing');
  dry.exit('process/web', 'web-0', { code: 1, signal: null });
  await settle();
  clock.advance(60_000);
  await settle();
  assert.equal(await running(), 4, 'the exit was planned and restarted');
  assert.ok(armed.slice(before).includes('process/web'));
  assert.ok(!armed.slice(before).includes('process/db'), 'the other key stayed steady');
});
