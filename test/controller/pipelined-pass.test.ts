/**
 * One pass hands the starts of independent objects to the executor together (through the apply
 * window), records each key's results in plan order, and a shutdown in the middle of a pass
 * launches nothing more, waits for what is under way and stops it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createController } from '../../src/controller/controller.ts';
import type { FileOutcome } from '../../src/controller/desired.ts';
import { createDryRunExecutor } from '../../src/executor/dry-run.ts';
import type { Executor } from '../../src/executor/executor.ts';
import type { Action, ActionResult } from '../../src/model/action.ts';
import type { TendEvent } from '../../src/model/event.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';
import { processObject } from '../planner/fixtures.ts';

// The dry-run executor, with every start held until `release()`.
function heldStarts() {
  const clock = createFakeClock();
  const inner = createDryRunExecutor(undefined, clock);
  const held: { action: Action; go: () => void }[] = [];
  const executor: Executor = {
    ...inner,
    observe: () => inner.observe(),
    subscribe: (listener) => inner.subscribe(listener),
    apply: (action) => {
      if (action.type !== 'start') return inner.apply(action);
      return new Promise<ActionResult>((resolve) => held.push({ action, go: () => void inner.apply(action).then(resolve) }));
    },
  };
  const release = (): void => {
    for (const { go } of held.splice(0)) go();
  };
  return { clock, inner, executor, held, release };
}

const files = (n: number, replicas = 1): FileOutcome[] =>
  Array.from({ length: n }, (_, i) => ({ file: `p${i}.yaml`, ok: true, empty: false, objects: [{ ...processObject(`p${i}`, { replicas }, 'h1'), contentHash: 'c1' }] }));

const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

// A controller with the apply window `applyWindow` over held starts, after a load of ten objects.
async function loadedTen(applyWindow: number): Promise<{ t: ReturnType<typeof heldStarts>; controller: ReturnType<typeof createController> }> {
  const t = heldStarts();
  const controller = createController({ executor: t.executor, clock: t.clock, events: { record: () => undefined }, pruneGraceMs: 300, applyWindow });
  controller.applyLoad(files(10), 'r1');
  await turns();
  return { t, controller };
}

test('the starts of independent objects are under way together, at most the window at once', async () => {
  const { t, controller } = await loadedTen(4);
  assert.equal(t.held.length, 4, 'four starts (of four objects) await the executor at once');
  assert.equal(new Set(t.held.map((h) => h.action.object)).size, 4);
  for (let i = 0; i < 5 && t.held.length > 0; i++) {
    t.release();
    await turns();
  }
  await controller.idle();
  const observed = await t.inner.observe();
  assert.equal([...observed.values()].flat().filter((i) => i.state === 'running').length, 10);
  assert.equal(t.inner.applied.filter((a) => a.type === 'start').length, 10, 'each started once');
  controller.close();
});

test("a load's keys go out in one pass: the first key's start does not hold the others back", async () => {
  const { t, controller } = await loadedTen(16);
  assert.equal(t.held.length, 10, 'all ten starts await the executor, none is waiting for the first');
  t.release();
  await controller.idle();
  assert.equal(t.inner.applied.filter((a) => a.type === 'start').length, 10);
  controller.close();
});

test('the starts of one object with many replicas go out together and are recorded in plan order', async () => {
  const t = heldStarts();
  const events: TendEvent[] = [];
  const controller = createController({ executor: t.executor, clock: t.clock, events: { record: (e) => events.push({ time: '', ...e }) }, pruneGraceMs: 300, applyWindow: 8 });
  controller.applyLoad(files(1, 6), 'r1');
  await turns();
  assert.equal(t.held.length, 6, 'all six replicas await the executor at once');
  // Answers come back in reverse; events are still told replica by replica.
  for (const { go } of t.held.splice(0).reverse()) go();
  await controller.idle();
  const started = events.filter((e) => e.reason === 'Started').map((e) => e.instance);
  assert.deepEqual(started, ['p0-0', 'p0-1', 'p0-2', 'p0-3', 'p0-4', 'p0-5']);
  assert.equal(Object.keys(controller.history().get('process/p0')?.slots ?? {}).length, 6, 'each start is in the history');
  controller.close();
});

test('a shutdown in the middle of a pass launches nothing more, waits for what is under way, then stops it', async () => {
  const t = heldStarts();
  const controller = createController({ executor: t.executor, clock: t.clock, events: { record: () => undefined }, pruneGraceMs: 300, applyWindow: 3 });
  controller.applyLoad(files(10), 'r1');
  await turns();
  assert.equal(t.held.length, 3);
  const down = controller.shutdown();
  await turns();
  t.release();
  await down;
  const starts = t.inner.applied.filter((a) => a.type === 'start').length;
  assert.equal(starts, 3, 'only the three starts under way at the shutdown were carried out');
  const live = [...(await t.inner.observe()).values()].flat().filter((i) => i.state !== 'exited');
  assert.deepEqual(live, [], 'every started instance was stopped');
});
