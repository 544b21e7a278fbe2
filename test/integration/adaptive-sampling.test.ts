/**
 * The adaptive sampling schedule on real programs through `tend up`, sampling every 200 ms: an
 * instance with a memory limit that has been idle (and so is read only every WATCHED_MAX_MS)
 * suddenly allocates past its limit; the critical alert must come within WATCHED_MAX_MS plus a
 * few intervals, not after the 30 s an idle instance without limits may wait. An idle instance
 * without limits is read again at least every QUIET_MAX_MS (its figures follow a change).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { QUIET_MAX_MS, WATCHED_MAX_MS } from '../../src/monitor/sample-schedule.ts';
import { createWorld, FIXTURES, itemOf, processManifest, waitFor, type World } from './harness.ts';

interface Usage { cpu: number; memory: number }
interface Event { object: string; reason: string; severity?: string }

const INTERVAL_MS = 200;
// The pass itself and the event's way to the file, on a busy shared machine.
const SLACK_MS = 4000;
let world: World;

const node = (script: string, ...args: string[]): string => `command: ${JSON.stringify(['node', join(FIXTURES, script), ...args])}`;

before(async () => {
  world = createWorld();
  world.write('node.yaml', ['apiVersion: tend/v1', 'kind: Node', 'metadata: {name: local}', 'spec:', `  monitor: {interval: ${INTERVAL_MS}ms}`, ''].join('\n'));
  // An idle node is about 40 MiB resident: below half the alert threshold (0.5 x 0.8 x 150 MiB),
  // so it is read every WATCHED_MAX_MS, not every interval.
  world.write('grow.yaml', processManifest('grow', node('alloc-on-signal.js', '200'), 'resources: {limits: {memory: 150Mi}, onExceed: alert, enforce: monitor}'));
  world.write('plain.yaml', processManifest('plain', node('alloc-on-signal.js', '64')));
  await world.up();
});

after(async () => {
  await world.cleanup();
});

function instanceOf(key: string): { pid: number; usage?: Usage } {
  const instance = itemOf(world.items(), key).instances[0] as unknown as { pid: number | null; usage?: Usage } | undefined;
  return { pid: instance?.pid ?? 0, ...(instance?.usage ? { usage: instance.usage } : {}) };
}

function events(): Event[] {
  return readFileSync(join(world.stateDir, 'events.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Event);
}

// Waits until the instance's sample shows it idle for a while, so it is on its slow cadence.
async function idleFor(key: string, ms: number): Promise<number> {
  await waitFor(`${key} to be sampled idle`, () => instanceOf(key).usage?.cpu === 0, 30_000);
  const since = Date.now();
  await waitFor(`${key} idle for ${ms} ms`, () => Date.now() - since >= ms, ms + 5000);
  const { pid, usage } = instanceOf(key);
  assert.equal(usage?.cpu, 0, `${key} stayed idle`);
  return pid;
}

test('an idle instance with a memory limit that jumps past it is caught within WATCHED_MAX_MS', async () => {
  const pid = await idleFor('process/grow', WATCHED_MAX_MS + 1000);
  assert.equal(events().some((e) => e.object === 'process/grow' && e.reason === 'MemoryHigh'), false, 'no alert while idle');
  const t0 = Date.now();
  process.kill(pid, 'SIGUSR2');
  await waitFor('a critical MemoryHigh alert', () => events().some((e) => e.object === 'process/grow' && e.reason === 'MemoryHigh' && e.severity === 'critical'), WATCHED_MAX_MS + 20_000);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed <= WATCHED_MAX_MS + SLACK_MS, `caught after ${elapsed} ms, bound ${WATCHED_MAX_MS + SLACK_MS} ms`);
});

test('an idle instance without limits keeps its last sample, and is read again within QUIET_MAX_MS', async () => {
  const pid = await idleFor('process/plain', 1000);
  const before = instanceOf('process/plain').usage?.memory ?? 0;
  const t0 = Date.now();
  process.kill(pid, 'SIGUSR2');
  await waitFor('the allocation in its figures', () => (instanceOf('process/plain').usage?.memory ?? 0) >= before + 60 * 2 ** 20, QUIET_MAX_MS + 20_000);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed <= QUIET_MAX_MS + SLACK_MS, `seen after ${elapsed} ms, bound ${QUIET_MAX_MS + SLACK_MS} ms`);
});
