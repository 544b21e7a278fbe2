/**
 * Scheduled Jobs through the controller on a fake clock: a run per tick, Forbid holding a tick
 * behind an active run, Replace ending it, and one catch-up after downtime.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createController } from '../../src/controller/controller.ts';
import type { FileOutcome } from '../../src/controller/desired.ts';
import { createDryRunExecutor } from '../../src/executor/dry-run.ts';
import type { JobSpec } from '../../src/model/job.ts';
import { cronRun } from '../../src/planner/job-cron.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';
import { jobObject } from '../planner/job-fixtures.ts';

// 2023-11-14T22:13:20Z: 40 s before the next whole minute.
const START = 1_700_000_000_000;
const TO_TICK = 40_000;

function setup(spec: Partial<JobSpec>) {
  const clock = createFakeClock(START);
  const executor = createDryRunExecutor(undefined, clock);
  const controller = createController({ executor, clock, events: { record: () => undefined }, pruneGraceMs: 300 });
  const object = jobObject('tick', { schedule: '* * * * *', ...spec });
  const load: FileOutcome[] = [{ file: 'tick.yaml', ok: true, empty: false, objects: [object] }];
  controller.applyLoad(load, 'r1');
  const settle = async () => {
    for (let i = 0; i < 8; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await controller.idle();
    }
  };
  const instance = async () => (await executor.observe()).get('job/tick')?.[0];
  return { clock, executor, controller, settle, instance };
}

test('a scheduled Job starts nothing before its first tick, then one run per tick', async () => {
  const t = setup({});
  await t.settle();
  assert.equal(await t.instance(), undefined);
  t.clock.advance(TO_TICK);
  await t.settle();
  const first = await t.instance();
  assert.equal(first?.state, 'running');
  t.executor.exit('job/tick', 'tick-0', { code: 0, signal: null });
  await t.settle();
  assert.equal(t.controller.history().get('job/tick')?.job?.finished?.phase, 'Succeeded');
  t.clock.advance(60_000);
  await t.settle();
  const second = await t.instance();
  assert.equal(second?.state, 'running');
  assert.notEqual(second?.pid, first?.pid);
});

// The first run starts at the first tick and is still running at the second.
async function twoTicks(t: ReturnType<typeof setup>) {
  await t.settle();
  t.clock.advance(TO_TICK);
  await t.settle();
  const first = await t.instance();
  t.clock.advance(60_000);
  await t.settle();
  return first;
}

test('Forbid: a tick during an active run waits for it to end, then runs at once', async () => {
  const t = setup({ concurrencyPolicy: 'Forbid' });
  const first = await twoTicks(t);
  assert.equal((await t.instance())?.pid, first?.pid, 'the active run goes on');
  t.executor.exit('job/tick', 'tick-0', { code: 0, signal: null });
  await t.settle();
  const next = await t.instance();
  assert.equal(next?.state, 'running');
  assert.notEqual(next?.pid, first?.pid);
});

test('Replace: a tick during an active run stops it and starts the new run', async () => {
  const t = setup({ concurrencyPolicy: 'Replace' });
  const first = await twoTicks(t);
  const next = await t.instance();
  assert.equal(next?.state, 'running');
  assert.notEqual(next?.pid, first?.pid);
});

test('after downtime only the latest missed tick runs', () => {
  const object = jobObject('tick', { schedule: '* * * * *' });
  const lastTick = START + TO_TICK;
  const history = { generation: 1, contentHash: 'c', slots: {}, job: { specHash: object.specHash, arrivedAt: lastTick, retries: 0, requeues: 0, tick: lastTick, finished: { phase: 'Succeeded' as const, at: lastTick + 1000, reason: 'Completed' } } };
  const now = lastTick + 10 * 60_000 + 5000;
  const run = cronRun(object, history, [], now);
  assert.deepEqual([run.record.tick, run.record.finished, run.nextTick], [lastTick + 10 * 60_000, undefined, lastTick + 11 * 60_000]);
  // Once recorded, the same moment starts nothing more.
  assert.equal(cronRun(object, { ...history, job: run.record }, [], now).record, run.record);
});
