/**
 * A controller restart keeps the programs (`tend up --leave-running`, as the systemd unit runs
 * it): SIGTERM ends only the controller, the next controller adopts the very same pids and
 * restarts nothing; `tend down` then stops them on purpose, through the running controller or,
 * with none running, by adopting what the last one left behind; both in reverse dependency order
 * with their preStop hooks. Without the option SIGTERM still stops every program.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { alive, createWorld, exited, itemOf, processManifest, stderrOf, waitFor, type World } from './harness.ts';

let world: World;

beforeEach(() => {
  world = createWorld();
  const hook = (name: string): string => `lifecycle: {preStop: {exec: ["sh", "-c", "echo ${name} >> ${join(world.root, 'order')}"]}}`;
  world.write('db.yaml', processManifest('db', 'command: ["sleep", "1000"]', hook('db')));
  world.write('web.yaml', processManifest('web', 'command: ["sleep", "1000"]', 'replicas: 2', 'dependsOn: [{name: db, condition: started}]', hook('web')));
});

afterEach(async () => {
  await world.cleanup();
});

// Pids of the running instances, by instance id, once all three are Running.
async function runningPids(): Promise<Map<string, number>> {
  let pids = new Map<string, number>();
  await waitFor('web-0, web-1 and db-0 running', () => {
    const items = world.items();
    pids = new Map(['process/web', 'process/db'].flatMap((key) => itemOf(items, key).instances.filter((i) => i.phase === 'Running' && i.pid !== null).map((i) => [i.id, i.pid ?? 0] as const)));
    return pids.size === 3;
  }, 30_000);
  return pids;
}

const stopOrder = (): string[] => readFileSync(join(world.root, 'order'), 'utf8').trim().split('\n');

test('SIGTERM to tend up --leave-running leaves the programs; the next controller adopts the same pids; tend down stops them', async () => {
  const first = await world.up(['--leave-running']);
  const before = await runningPids();
  first.kill('SIGTERM');
  assert.equal(await exited(first), 0, stderrOf(first));
  assert.match(stderrOf(first), /3 instances keep running/);
  for (const [id, pid] of before) assert.ok(alive(pid), `${id} (pid ${pid}) outlived the controller`);

  const second = await world.up(['--leave-running']);
  const after = await runningPids();
  assert.deepEqual([...after].sort(), [...before].sort(), 'the same processes, adopted');
  assert.ok(itemOf(world.items(), 'process/web').instances.every((i) => i.restarts === 0), 'nothing restarted');
  const events = world.tend('events', '-o', 'json').stdout;
  assert.equal((events.match(/"reason":"Adopted"/g) ?? []).length, 3, events);

  const down = world.tend('down');
  assert.equal(down.code, 0, down.stderr);
  assert.equal(await exited(second), 0, stderrOf(second));
  for (const [id, pid] of before) assert.ok(!alive(pid), `${id} (pid ${pid}) was stopped`);
  assert.deepEqual(world.markedPids(), []);
  assert.deepEqual(stopOrder(), ['web', 'web', 'db'], 'dependents first, each through its preStop hook');
});

test('tend down with no controller running stops what the last one left behind', async () => {
  const first = await world.up(['--leave-running']);
  const before = await runningPids();
  first.kill('SIGTERM');
  assert.equal(await exited(first), 0);
  const down = world.tend('down');
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /stopped 3 instances/, `${down.stdout}\n${down.stderr}`);
  for (const [id, pid] of before) assert.ok(!alive(pid), `${id} (pid ${pid}) was stopped`);
  assert.deepEqual(stopOrder(), ['web', 'web', 'db']);
});

test('without --leave-running SIGTERM stops every program, as before', async () => {
  const up = await world.up();
  const before = await runningPids();
  up.kill('SIGTERM');
  assert.equal(await exited(up), 0);
  for (const [id, pid] of before) assert.ok(!alive(pid), `${id} (pid ${pid}) was stopped`);
});
