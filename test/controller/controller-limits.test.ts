/**
 * The controller with a resource guard, a fake clock and the dry-run executor (whose stops end at
 * once): a sampled breach enqueues the object and stops the instance; its exit is a ResourceExhaustion failure with the
 * figure, and the restart follows the backoff; with onExceed kill nothing starts again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createController } from '../../src/controller/controller.ts';
import type { FileOutcome } from '../../src/controller/desired.ts';
import { createResourceGuard } from '../../src/controller/resource-guard.ts';
import { createDryRunExecutor } from '../../src/executor/dry-run.ts';
import type { TendEvent } from '../../src/model/event.ts';
import type { OnExceed } from '../../src/model/limits.ts';
import { isProcessObject } from '../../src/model/object.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';
import { processObject } from '../planner/fixtures.ts';

const MiB = 1024 * 1024;

async function setup(onExceed: OnExceed) {
  const clock = createFakeClock();
  const executor = createDryRunExecutor(undefined, clock);
  const events: TendEvent[] = [];
  const sink = { record: (e: Omit<TendEvent, 'time'>) => events.push({ time: new Date(clock.now()).toISOString(), ...e }) };
  const guard = createResourceGuard({
    clock,
    events: sink,
    policyOf: (key) => {
      const object = controller.desired().objects.get(key);
      return object && isProcessObject(object) ? object.spec.resources : undefined;
    },
  });
  const controller = createController({ executor, clock, events: sink, pruneGraceMs: 300, limits: guard });
  const object = processObject('web', { replicas: 1, resources: { limits: { memory: 100 * MiB }, onExceed, warnAt: 0.8, enforce: 'monitor' } });
  const load: FileOutcome = { file: 'web.yaml', ok: true, empty: false, objects: [object] };
  controller.applyLoad([load], 'r1');
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await controller.idle();
    }
  };
  await settle();
  const web0 = async () => (await executor.observe()).get('process/web')?.[0];
  const sample = async (memory: number): Promise<void> => {
    const i = await web0();
    if (i) guard.observe([{ object: 'process/web', id: i.id, pid: i.pid, usage: { cpu: 0, memory, fds: 3, threads: 1, sockets: 0 } }]);
    await settle();
  };
  return { clock, executor, controller, events, settle, web0, sample };
}

test('a breach with onExceed restart stops the instance; its exit is a ResourceExhaustion failure, then a restart after backoff', async () => {
  const t = await setup('restart');
  const first = await t.web0();
  await t.sample(150 * MiB);
  assert.deepEqual([(await t.web0())?.state, (await t.web0())?.exit?.reason], ['exited', 'ResourceExhaustion'], 'the dry run stops at once');
  const failures = t.controller.history().get('process/web')?.failures ?? [];
  assert.deepEqual(failures.map((f) => [f.type, f.message]), [['ResourceExhaustion', 'memory 150 MiB > limit 100 MiB (onExceed restart)']]);
  t.clock.advance(1000);
  await t.settle();
  const second = await t.web0();
  assert.equal(second?.state, 'running');
  assert.notEqual(second?.pid, first?.pid);
  assert.equal(t.controller.history().get('process/web')?.slots[0]?.restarts, 1);
});

test('a breach with onExceed kill leaves the instance exited, never restarted', async () => {
  const t = await setup('kill');
  await t.sample(150 * MiB);
  assert.deepEqual([(await t.web0())?.exit?.reason, (await t.web0())?.exit?.signal], ['ResourceKill', 'SIGKILL']);
  t.clock.advance(600_000);
  await t.settle();
  assert.equal((await t.web0())?.state, 'exited');
  assert.equal(t.controller.history().get('process/web')?.failures?.[0]?.type, 'ResourceExhaustion');
  assert.ok(t.events.some((e) => e.reason === 'ResourceExhaustion' && /killing it, no restart/.test(e.message)));
});
