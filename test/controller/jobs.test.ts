/**
 * Jobs through the controller, with a fake clock and the dry-run executor: admission against a
 * Node, suspend and resume as the scheduler decides, retries after the backoff up to
 * backoffLimit, and ttlAfterFinished. Asserts the converged world, not the calls.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createController } from '../../src/controller/controller.ts';
import type { FileOutcome } from '../../src/controller/desired.ts';
import { createDryRunExecutor } from '../../src/executor/dry-run.ts';
import type { TendEvent } from '../../src/model/event.ts';
import type { JobSpec } from '../../src/model/job.ts';
import type { ManifestObject } from '../../src/model/object.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';
import { jobObject } from '../planner/job-fixtures.ts';
import { processObject } from '../planner/fixtures.ts';

function setup() {
  const clock = createFakeClock();
  const executor = createDryRunExecutor(undefined, clock);
  const events: TendEvent[] = [];
  const controller = createController({
    executor,
    clock,
    events: { record: (e) => events.push({ time: new Date(clock.now()).toISOString(), ...e }) },
    pruneGraceMs: 300,
    machine: { cpu: 8, memory: 2 ** 34 },
  });
  const world = async () => {
    const observed = await executor.observe();
    return Object.fromEntries([...observed].map(([k, list]) => [k, list.map((i) => `${i.id}:${i.state}${i.suspendedAt === undefined ? '' : ':suspended'}`).sort()]));
  };
  const settle = async () => {
    for (let i = 0; i < 8; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await controller.idle();
    }
  };
  return { clock, executor, controller, events, world, settle };
}

const NODE: ManifestObject = {
  kind: 'Node', name: 'local', key: 'node/local', labels: {},
  source: { file: 'node.yaml', line: 1, col: 1, uid: 1000, gid: 1000 },
  spec: { capacity: { cpu: 1 } }, specHash: 'n', contentHash: 'n',
};

const files = (...objects: ManifestObject[]): FileOutcome[] => objects.map((object) => ({ file: `${object.name}.yaml`, ok: true, empty: false, objects: [object] }));
const job = (name: string, spec: Partial<JobSpec> = {}) => jobObject(name, { requests: { cpu: 1 }, ...spec });

test('a critical Job suspends the low one on a full Node; the low one resumes when it is done and then succeeds', async () => {
  const t = setup();
  const low = job('low', { priority: 10 });
  t.controller.applyLoad(files(NODE, low), 'r1');
  await t.settle();
  assert.deepEqual(await t.world(), { 'job/low': ['low-0:running'] });
  t.controller.applyLoad(files(NODE, low, job('crit', { priority: 40, preemptible: false })), 'r2');
  await t.settle();
  assert.deepEqual(await t.world(), { 'job/low': ['low-0:running:suspended'], 'job/crit': ['crit-0:running'] });
  t.clock.advance(5000);
  t.executor.exit('job/crit', 'crit-0', { code: 0, signal: null });
  await t.settle();
  assert.deepEqual(await t.world(), { 'job/low': ['low-0:running'], 'job/crit': ['crit-0:exited'] });
  t.executor.exit('job/low', 'low-0', { code: 0, signal: null });
  await t.settle();
  assert.equal(t.controller.history().get('job/low')?.job?.finished?.phase, 'Succeeded');
  assert.deepEqual(t.events.filter((e) => e.reason === 'Suspended' || e.reason === 'Resumed').map((e) => `${e.instance}:${e.reason}`), ['low-0:Suspended', 'low-0:Resumed']);
});

test('a failing Job is retried after its backoff, backoffLimit times, then Failed', async () => {
  const t = setup();
  t.controller.applyLoad(files(jobObject('bad', { backoffLimit: 1 })), 'r1');
  await t.settle();
  t.executor.exit('job/bad', 'bad-0', { code: 1, signal: null });
  await t.settle();
  assert.deepEqual(await t.world(), { 'job/bad': ['bad-0:exited'] });
  t.clock.advance(999);
  await t.settle();
  assert.deepEqual(await t.world(), { 'job/bad': ['bad-0:exited'] }, 'not before the backoff');
  t.clock.advance(1);
  await t.settle();
  assert.deepEqual(await t.world(), { 'job/bad': ['bad-0:running'] });
  t.executor.exit('job/bad', 'bad-0', { code: 1, signal: null });
  await t.settle();
  t.clock.advance(120_000);
  await t.settle();
  assert.deepEqual(await t.world(), { 'job/bad': ['bad-0:exited'] });
  const record = t.controller.history().get('job/bad')?.job;
  assert.deepEqual([record?.retries, record?.finished?.reason], [1, 'BackoffLimitExceeded']);
  assert.ok(t.events.some((e) => e.reason === 'BackoffLimitExceeded' && e.type === 'Warning'));
});

test('ttlAfterFinished forgets a finished run\'s instances, and the run stays finished', async () => {
  const t = setup();
  t.controller.applyLoad(files(jobObject('once', { ttlAfterFinishedMs: 60_000 })), 'r1');
  await t.settle();
  t.executor.exit('job/once', 'once-0', { code: 0, signal: null });
  await t.settle();
  t.clock.advance(59_999);
  await t.settle();
  assert.deepEqual(await t.world(), { 'job/once': ['once-0:exited'] });
  t.clock.advance(1);
  await t.settle();
  assert.deepEqual(await t.world(), {});
  t.clock.advance(60_000);
  await t.settle();
  assert.deepEqual(await t.world(), {}, 'nothing runs again');
  assert.equal(t.controller.history().get('job/once')?.job?.forgotten, true);
});

test('time slicing: equal-priority Jobs beyond capacity take turns, each suspended after its slice', async () => {
  const t = setup();
  const node: ManifestObject = { ...NODE, spec: { capacity: { cpu: 1 }, timeSlice: '10s' }, contentHash: 'n-slice' };
  t.controller.applyLoad(files(node, job('a'), job('b')), 'r1');
  await t.settle();
  const first = await t.world();
  assert.equal(Object.values(first).flat().length, 1, 'one runs, the other waits');
  const running = first['job/a'] ? 'a' : 'b';
  const waiting = running === 'a' ? 'b' : 'a';
  t.clock.advance(10_000);
  await t.settle();
  assert.deepEqual(await t.world(), { [`job/${running}`]: [`${running}-0:running:suspended`], [`job/${waiting}`]: [`${waiting}-0:running`] });
  t.clock.advance(10_000);
  await t.settle();
  assert.deepEqual(await t.world(), { [`job/${running}`]: [`${running}-0:running`], [`job/${waiting}`]: [`${waiting}-0:running:suspended`] });
});

test('a Process with requests waits as Unschedulable while Jobs hold the Node, and starts when they end', async () => {
  const t = setup();
  const web = processObject('web', { replicas: 1, raw: { resources: { requests: { cpu: 1 } } } });
  t.controller.applyLoad(files(NODE, job('batch', { preemptible: false })), 'r1');
  await t.settle();
  t.controller.applyLoad(files(NODE, job('batch', { preemptible: false }), web), 'r2');
  await t.settle();
  assert.deepEqual(await t.world(), { 'job/batch': ['batch-0:running'] });
  const waits = (await t.controller.plan()).filter((a) => a.object === 'process/web');
  assert.deepEqual(waits.map((a) => [a.type, a.reason, a.type === 'wait' ? a.shortfall : '']), [['wait', 'Unschedulable', 'Insufficient cpu']]);
  t.executor.exit('job/batch', 'batch-0', { code: 0, signal: null });
  await t.settle();
  assert.deepEqual(await t.world(), { 'job/batch': ['batch-0:exited'], 'process/web': ['web-0:running'] });
});

test('a preemptible Process instance is stopped for a critical Job and started again when it fits', async () => {
  const t = setup();
  const web = processObject('web', { replicas: 1, priority: 10, raw: { preemptible: true, resources: { requests: { cpu: 1 } } } });
  t.controller.applyLoad(files(NODE, web), 'r1');
  await t.settle();
  assert.deepEqual(await t.world(), { 'process/web': ['web-0:running'] });
  t.controller.applyLoad(files(NODE, web, job('crit', { priority: 40, preemptible: false })), 'r2');
  await t.settle();
  assert.deepEqual(await t.world(), { 'process/web': ['web-0:exited'], 'job/crit': ['crit-0:running'] });
  assert.ok(t.events.some((e) => e.instance === 'web-0' && /preempted by job\/crit/.test(e.message)));
  t.executor.exit('job/crit', 'crit-0', { code: 0, signal: null });
  await t.settle();
  assert.deepEqual(await t.world(), { 'process/web': ['web-0:running'], 'job/crit': ['crit-0:exited'] });
});

test('a Process that waits for a Job to complete starts when the Job succeeds, even when both are planned in one batch', async () => {
  const t = setup();
  const migrate = jobObject('migrate', {});
  const web = processObject('web', { replicas: 1, dependsOn: [{ key: 'job/migrate', condition: 'completed' }] });
  t.controller.applyLoad(files(migrate, web), 'r1');
  await t.settle();
  assert.deepEqual(await t.world(), { 'job/migrate': ['migrate-0:running'] });
  // The exit queues the Job and its dependent together: web is planned against the history from
  // before the Job's completion is recorded, and must be planned again after it.
  t.executor.exit('job/migrate', 'migrate-0', { code: 0, signal: null });
  await t.settle();
  assert.equal(t.controller.history().get('job/migrate')?.job?.finished?.phase, 'Succeeded');
  assert.deepEqual(await t.world(), { 'job/migrate': ['migrate-0:exited'], 'process/web': ['web-0:running'] });
});
