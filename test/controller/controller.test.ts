/**
 * The controller with a fake clock and the dry-run executor: asserts the converged world after
 * events (loads, exits, time), not the sequence of calls.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createController } from '../../src/controller/controller.ts';
import type { FileOutcome } from '../../src/controller/desired.ts';
import { createDryRunExecutor } from '../../src/executor/dry-run.ts';
import type { TendEvent } from '../../src/model/event.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';
import { processObject } from '../planner/fixtures.ts';
import type { ProcessSpec } from '../../src/model/object.ts';

function setup() {
  const clock = createFakeClock();
  const executor = createDryRunExecutor(undefined, clock);
  const events: TendEvent[] = [];
  const reloads: number[] = [];
  const controller = createController({
    requestReload: () => reloads.push(clock.now()),
    executor,
    clock,
    events: { record: (e) => events.push({ time: new Date(clock.now()).toISOString(), ...e }) },
    pruneGraceMs: 300,
  });
  const world = async () => {
    const observed = await executor.observe();
    return Object.fromEntries([...observed].map(([k, list]) => [k, list.map((i) => `${i.id}:${i.state}`).sort()]));
  };
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await controller.idle();
    }
  };
  return { clock, executor, controller, events, world, settle, reloads };
}

const file = (name: string, spec: Partial<ProcessSpec> = {}, hash = 'h1'): FileOutcome => {
  const object = { ...processObject(name, spec, hash), contentHash: `c-${hash}-${JSON.stringify(spec)}` };
  return { file: `${name}.yaml`, ok: true, empty: false, objects: [object] };
};

test('a load starts every desired instance', async () => {
  const t = setup();
  t.controller.applyLoad([file('web', { replicas: 2 }), file('db', { replicas: 1 })], 'r1');
  await t.settle();
  assert.deepEqual(await t.world(), { 'process/web': ['web-0:running', 'web-1:running'], 'process/db': ['db-0:running'] });
});

test('an exit restarts after the backoff delay, not before', async () => {
  const t = setup();
  t.controller.applyLoad([file('web', { replicas: 1 })], 'r1');
  await t.settle();
  t.executor.exit('process/web', 'web-0', { code: 1, signal: null });
  await t.settle();
  assert.deepEqual(await t.world(), { 'process/web': ['web-0:exited'] });
  assert.ok(t.events.some((e) => e.reason === 'BackOff'));
  t.clock.advance(1000);
  await t.settle();
  assert.deepEqual(await t.world(), { 'process/web': ['web-0:running'] });
  assert.equal(t.controller.history().get('process/web')?.slots[0]?.restarts, 1);
});

test('removing a file prunes its objects only after the grace period', async () => {
  const t = setup();
  t.controller.applyLoad([file('web')], 'r1');
  await t.settle();
  t.controller.applyLoad([], 'r2');
  await t.settle();
  assert.equal((await t.world())['process/web']?.length, 2);
  t.clock.advance(299);
  assert.equal(t.reloads.length, 0);
  t.clock.advance(1);
  assert.equal(t.reloads.length, 1, 'the controller asks for a reload when the grace ends');
  t.controller.applyLoad([], 'r2');
  await t.settle();
  assert.deepEqual(await t.world(), {});
});

test('operator stop holds until start, across passes', async () => {
  const t = setup();
  t.controller.applyLoad([file('web', { replicas: 1 })], 'r1');
  await t.settle();
  assert.equal(t.controller.operate('process/web', 'stop'), true);
  await t.settle();
  assert.deepEqual(await t.world(), { 'process/web': ['web-0:exited'] });
  await t.controller.enqueueAll();
  await t.settle();
  assert.deepEqual(await t.world(), { 'process/web': ['web-0:exited'] });
  t.controller.operate('process/web', 'start');
  await t.settle();
  assert.deepEqual(await t.world(), { 'process/web': ['web-0:running'] });
  assert.equal(t.controller.operate('process/nope', 'stop'), false);
});

test('an operator stop is saved before the program is stopped', async () => {
  const clock = createFakeClock();
  const executor = createDryRunExecutor(undefined, clock);
  let release: () => void = () => undefined;
  const saved: (string | undefined)[] = [];
  const controller = createController({
    executor,
    clock,
    events: { record: () => undefined },
    pruneGraceMs: 300,
    persistNow: () => {
      saved.push(controller.history().get('process/web')?.override?.type);
      return new Promise<void>((resolve) => (release = resolve));
    },
  });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await controller.idle();
    }
  };
  const states = async (): Promise<string[]> => ((await executor.observe()).get('process/web') ?? []).map((i) => i.state);
  controller.applyLoad([file('web', { replicas: 1 })], 'r1');
  await settle();
  assert.equal(controller.operate('process/web', 'stop'), true);
  await settle();
  assert.deepEqual(saved, ['stopped'], 'the override was in what was saved');
  assert.deepEqual(await states(), ['running'], 'nothing is stopped before the save is done');
  release();
  await settle();
  assert.deepEqual(await states(), ['exited']);
});

test('a label-only change restarts nothing; a program change restarts', async () => {
  const t = setup();
  t.controller.applyLoad([file('web', { replicas: 1 })], 'r1');
  await t.settle();
  const started = () => t.executor.applied.filter((a) => a.type !== 'wait').length;
  const before = started();
  const relabelled = file('web', { replicas: 1 });
  t.controller.applyLoad([{ ...relabelled, objects: relabelled.objects.map((o) => ({ ...o, labels: { a: 'b' }, contentHash: 'other' })) }], 'r2');
  await t.settle();
  assert.equal(started(), before);
  assert.equal(t.controller.history().get('process/web')?.generation, 2);
  t.controller.applyLoad([file('web', { replicas: 1, command: ['other'] }, 'h2')], 'r3');
  await t.settle();
  assert.ok(started() > before);
  const [instance] = (await t.executor.observe()).get('process/web') ?? [];
  assert.equal(instance?.specHash, 'h2');
  assert.equal(instance?.state, 'running');
});

test('shutdown stops every instance and resolves once all exited', async () => {
  const t = setup();
  t.controller.applyLoad([file('web', { replicas: 3 })], 'r1');
  await t.settle();
  await t.controller.shutdown();
  const states = [...(await t.executor.observe()).values()].flat().map((i) => i.state);
  assert.deepEqual(states, ['exited', 'exited', 'exited']);
});

test('an immediate restart reaches the executor before the exit is told', async () => {
  const clock = createFakeClock();
  const executor = createDryRunExecutor(undefined, clock);
  const appliedWhenTold: [string, number][] = [];
  const events = { record: (e: Omit<TendEvent, 'time'>) => void appliedWhenTold.push([e.reason, executor.applied.length]) };
  const controller = createController({ executor, clock, events, pruneGraceMs: 300 });
  const backoff = { strategy: 'fixed' as const, initialDelayMs: 0, maxDelayMs: 0, multiplier: 1, jitter: 0, resetAfterMs: 600_000 };
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await controller.idle();
    }
  };
  controller.applyLoad([file('web', { replicas: 1, backoff })], 'r1');
  await settle();
  const before = executor.applied.length;
  appliedWhenTold.length = 0;
  executor.exit('process/web', 'web-0', { code: 1, signal: null });
  await settle();
  const told = appliedWhenTold.find(([reason]) => reason !== 'Started');
  assert.ok(told, `the exit is told (${appliedWhenTold.map(([reason]) => reason).join(', ')})`);
  assert.equal(told[1], before + 1, 'the restart was handed to the executor first');
  const observed = await executor.observe();
  assert.deepEqual(observed.get('process/web')?.map((i) => i.state), ['running']);
  controller.close();
});
