/**
 * Restart policies on real processes through `tend up`: each policy with a program that exits 0,
 * exits 1, or is killed by SIGKILL. A restart shows as restarts >= 1 with the instance running
 * again; no restart shows as the final phase (Succeeded or Failed) the planner settles on.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { alive, createWorld, exited, itemOf, processManifest, waitFor, type World } from './harness.ts';

const ENDINGS = {
  exit0: '["sh", "-c", "sleep 0.2; exit 0"]',
  exit1: '["sh", "-c", "sleep 0.2; exit 1"]',
  sigkill: '["sh", "-c", "sleep 0.2; kill -9 $$"]',
} as const;

const EXPECTED: Record<string, Record<keyof typeof ENDINGS, 'restart' | 'Succeeded' | 'Failed'>> = {
  Always: { exit0: 'restart', exit1: 'restart', sigkill: 'restart' },
  UnlessStopped: { exit0: 'restart', exit1: 'restart', sigkill: 'restart' },
  OnFailure: { exit0: 'Succeeded', exit1: 'restart', sigkill: 'restart' },
  Never: { exit0: 'Succeeded', exit1: 'Failed', sigkill: 'Failed' },
};

let world: World;
let controller: ChildProcess;

before(async () => {
  world = createWorld();
  for (const [policy, cases] of Object.entries(EXPECTED)) {
    for (const ending of Object.keys(cases) as (keyof typeof ENDINGS)[]) {
      world.write(
        `${policy}-${ending}.yaml`,
        processManifest(`${policy.toLowerCase()}-${ending}`, `command: ${ENDINGS[ending]}`, `restartPolicy: ${policy}`, 'backoff: {initialDelay: 100ms, jitter: 0}'),
      );
    }
  }
  controller = await world.up();
});

after(() => world.cleanup());

for (const [policy, cases] of Object.entries(EXPECTED)) {
  for (const [ending, expected] of Object.entries(cases)) {
    test(`${policy} after ${ending}: ${expected === 'restart' ? 'restarts' : `stays ${expected}`}`, async () => {
      const key = `process/${policy.toLowerCase()}-${ending}`;
      if (expected === 'restart') {
        await waitFor(`${key} to restart`, () => (itemOf(world.items(), key).instances[0]?.restarts ?? 0) >= 1);
        const instance = itemOf(world.items(), key).instances[0];
        assert.ok(instance?.lastExit, 'the last exit is recorded');
        return;
      }
      await waitFor(`${key} to settle`, () => itemOf(world.items(), key).instances[0]?.phase === expected);
      const item = itemOf(world.items(), key);
      assert.equal(item.instances[0]?.restarts, 0);
      assert.equal(item.instances[0]?.pid, null, 'nothing runs');
      if (ending === 'sigkill') assert.equal(item.instances[0]?.lastExit?.signal, 'SIGKILL');
      if (ending === 'exit1') assert.equal(item.instances[0]?.lastExit?.code, 1);
    });
  }
}

test('UnlessStopped stays stopped after tend stop, across a controller restart', async () => {
  world.write('unless.yaml', processManifest('unless', 'command: ["sleep", "1000"]', 'restartPolicy: UnlessStopped'));
  await waitFor('unless to run', () => itemOf(world.items(), 'process/unless').instances[0]?.pid != null);
  const pid = itemOf(world.items(), 'process/unless').instances[0]?.pid ?? 0;
  assert.equal(world.tend('stop', 'process/unless').code, 0);
  await waitFor('unless to stop', () => !alive(pid));
  // The process is gone before the controller has handled its exit: wait for the phase too.
  await waitFor('unless to be Stopped', () => itemOf(world.items(), 'process/unless').status.phase === 'Stopped');
  controller.kill('SIGKILL');
  await exited(controller);
  controller = await world.up();
  assert.equal(world.tend('reconcile', '--once').code, 0, 'a full pass ran in the new controller');
  const item = itemOf(world.items(), 'process/unless');
  assert.equal(item.status.phase, 'Stopped');
  assert.equal(item.instances[0]?.pid, null);
  assert.equal(world.tend('start', 'process/unless').code, 0);
  await waitFor('unless to run again', () => itemOf(world.items(), 'process/unless').instances[0]?.pid != null);
});
