/**
 * The starts of a plain object are loose: the next batch is observed and planned while they
 * await the executor, so a restart whose backoff ends meanwhile goes out at once. An object that
 * others read (a dependency) is still waited for; idleness and the pass reports wait for loose
 * starts, reports in pass order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createController } from '../../src/controller/controller.ts';
import type { FileOutcome } from '../../src/controller/desired.ts';
import type { Action } from '../../src/model/action.ts';
import type { ProcessObject, ProcessSpec } from '../../src/model/object.ts';
import type { KeyPlan } from '../../src/planner/key-plan.ts';
import { heldStarts } from '../helpers/held-starts.ts';
import { processObject } from '../planner/fixtures.ts';

const FIXED_50MS: Partial<ProcessSpec> = { replicas: 1, backoff: { strategy: 'fixed', initialDelayMs: 50, maxDelayMs: 50, multiplier: 1, jitter: 0, resetAfterMs: 600_000 } };
const ONE: Partial<ProcessSpec> = { replicas: 1 };

const fileOf = (object: ProcessObject): FileOutcome => ({ file: `${object.name}.yaml`, ok: true, empty: false, objects: [{ ...object, contentHash: `c-${object.name}` }] });

const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

const startsOf = (applied: readonly Action[], object: string): number => applied.filter((a) => a.type === 'start' && a.object === object).length;

test('a restart whose backoff ends while another start awaits the executor goes out at once', async () => {
  let holdSlow = false;
  const t = heldStarts((object) => holdSlow && object === 'process/slow');
  const controller = createController({ executor: t.executor, clock: t.clock, events: { record: () => undefined }, pruneGraceMs: 300 });
  controller.applyLoad([fileOf(processObject('fast', FIXED_50MS)), fileOf(processObject('slow', FIXED_50MS))], 'r1');
  await controller.idle();
  holdSlow = true;
  // slow's backoff ends first: its restart is a batch of its own, awaiting the executor when fast's ends.
  t.inner.exit('process/slow', 'slow-0');
  await turns();
  t.inner.exit('process/fast', 'fast-0');
  await turns();
  t.clock.advance(50);
  await turns();
  assert.equal(t.held.length, 1, 'the restart of slow awaits the executor');
  assert.equal(startsOf(t.inner.applied, 'process/fast'), 2, 'fast was restarted while slow still spawns');
  t.release();
  await controller.idle();
  assert.equal(startsOf(t.inner.applied, 'process/slow'), 2);
  assert.equal(controller.history().get('process/fast')?.slots[0]?.restarts, 1);
  assert.equal(controller.history().get('process/slow')?.slots[0]?.restarts, 1);
  controller.close();
});

test('the start of an object others depend on is waited for before the next batch', async () => {
  const t = heldStarts((object) => object === 'process/db');
  const controller = createController({ executor: t.executor, clock: t.clock, events: { record: () => undefined }, pruneGraceMs: 300 });
  const db = processObject('db', ONE);
  const web = processObject('web', { ...ONE, dependsOn: [{ key: 'process/db', condition: 'started' }] });
  controller.applyLoad([fileOf(db), fileOf(processObject('other', ONE)), fileOf(web)], 'r1');
  await turns();
  assert.deepEqual(t.held.map((h) => h.action.object), ['process/db']);
  assert.equal(startsOf(t.inner.applied, 'process/other'), 0, 'the next batch waits for the start of db');
  t.release();
  await controller.idle();
  assert.equal(startsOf(t.inner.applied, 'process/other'), 1);
  assert.equal(startsOf(t.inner.applied, 'process/web'), 1);
  controller.close();
});

test('idle waits for loose starts, and each pass is reported once applied, in pass order', async () => {
  const passes: string[][] = [];
  const t = heldStarts((object) => object === 'process/a');
  const controller = createController({
    executor: t.executor,
    clock: t.clock,
    events: { record: () => undefined },
    pruneGraceMs: 300,
    onPass: (plans: readonly KeyPlan[]) => passes.push(plans.map((p) => p.key)),
  });
  controller.applyLoad([fileOf(processObject('a', ONE)), fileOf(processObject('b', ONE))], 'r1');
  let idle = false;
  void controller.idle().then(() => (idle = true));
  await turns();
  assert.equal(t.held.length, 1);
  assert.equal(startsOf(t.inner.applied, 'process/b'), 1, 'b started while a spawns');
  assert.deepEqual(passes, [], "no pass is reported before a's start is applied: b's waits behind a's");
  assert.equal(idle, false);
  t.release();
  await controller.idle();
  assert.equal(idle, true);
  assert.deepEqual(passes.slice(0, 2), [['process/a'], ['process/b']]);
  controller.close();
});
