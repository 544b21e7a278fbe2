/**
 * Pools through the controller with a fake clock and the dry-run executor: lease demand grows the
 * pool and the new worker serves the waiter, an expired lease recycles its worker through the
 * planner, and idle workers are reaped back to minReplicas. Asserts the world, not call order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createController } from '../../src/controller/controller.ts';
import type { FileOutcome } from '../../src/controller/desired.ts';
import { createDryRunExecutor } from '../../src/executor/dry-run.ts';
import type { TendEvent } from '../../src/model/event.ts';
import type { ProcessObject } from '../../src/model/object.ts';
import type { PoolPolicy } from '../../src/model/pool.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';
import { processObject } from '../planner/fixtures.ts';

const POLICY: PoolPolicy = { minReplicas: 1, maxReplicas: 3, idleTimeoutMs: 5_000, maxLeasesPerWorker: 0, leaseTimeoutMs: 60_000 };

function setup(policy: Partial<PoolPolicy> = {}) {
  const clock = createFakeClock();
  const executor = createDryRunExecutor(undefined, clock);
  const events: TendEvent[] = [];
  const controller = createController({ executor, clock, events: { record: (e) => events.push({ time: '', ...e }) }, pruneGraceMs: 300 });
  const base = processObject('render', { replicas: 1 });
  const pool: ProcessObject = { ...base, kind: 'ProcessPool', key: 'pool/render', pool: { ...POLICY, ...policy } };
  const load: FileOutcome = { file: 'pool.yaml', ok: true, empty: false, objects: [pool] };
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 8; i++) {
      clock.advance(0);
      await new Promise((resolve) => setImmediate(resolve));
      await controller.idle();
    }
  };
  const workers = async (): Promise<string[]> =>
    ((await executor.observe()).get('pool/render') ?? []).filter((i) => i.state === 'running').map((i) => `${i.id}:${i.pid}`).sort();
  controller.applyLoad([load], 'r1');
  return { clock, controller, events, settle, workers };
}

test('a waiting request grows the pool, and the new worker serves it once running', async () => {
  const t = setup();
  await t.settle();
  assert.equal((await t.workers()).length, 1);
  const first = await t.controller.pools.lease('pool/render', 10_000);
  assert.equal(first.kind, 'granted');
  const second = t.controller.pools.lease('pool/render', 10_000);
  await t.settle();
  const got = await second;
  assert.equal(got.kind, 'granted');
  assert.equal(got.kind === 'granted' && got.lease.worker?.id, 'render-1');
  assert.equal((await t.workers()).length, 2);
  assert.ok(t.events.some((e) => e.reason === 'LeaseDemand'));
});

test('an expired lease recycles its worker: stopped and started fresh in its slot', async () => {
  const t = setup({ leaseTimeoutMs: 1_000 });
  await t.settle();
  const [before] = await t.workers();
  const lease = await t.controller.pools.lease('pool/render', 10_000);
  assert.equal(lease.kind, 'granted');
  t.clock.advance(1_000);
  await t.settle();
  const id = lease.kind === 'granted' ? lease.lease.id : '';
  assert.equal(t.controller.pools.get(id)?.state, 'expired');
  const [after] = await t.workers();
  assert.notEqual(after, before);
  assert.match(after ?? '', /^render-0:/);
  assert.equal(t.controller.pools.release(id).kind, 'ended');
  assert.equal(t.controller.pools.stats('pool/render')?.workersRecycled, 1);
});

test('idle workers are reaped down to minReplicas after idleTimeout', async () => {
  const t = setup({ idleTimeoutMs: 5_000 });
  await t.settle();
  const a = await t.controller.pools.lease('pool/render', 10_000);
  const b = t.controller.pools.lease('pool/render', 10_000);
  await t.settle();
  const second = await b;
  for (const l of [a, second]) if (l.kind === 'granted') assert.equal(t.controller.pools.release(l.lease.id).kind, 'released');
  await t.settle();
  assert.equal((await t.workers()).length, 2);
  t.clock.advance(4_999);
  await t.settle();
  assert.equal((await t.workers()).length, 2);
  t.clock.advance(1);
  await t.settle();
  assert.deepEqual((await t.workers()).map((w) => w.split(':')[0]), ['render-0']);
  assert.ok(t.events.some((e) => e.reason === 'IdleTimeout'));
});

test('a request that waits past its timeout is answered timeout and leaves the queue', async () => {
  const t = setup({ maxReplicas: 1 });
  await t.settle();
  assert.equal((await t.controller.pools.lease('pool/render', 10_000)).kind, 'granted');
  const waiting = t.controller.pools.lease('pool/render', 500);
  await t.settle();
  assert.equal(t.controller.pools.stats('pool/render')?.waiting, 1);
  t.clock.advance(500);
  assert.equal((await waiting).kind, 'timeout');
  assert.equal(t.controller.pools.stats('pool/render')?.waiting, 0);
  assert.equal((await t.workers()).length, 1, 'never above maxReplicas');
});
