/**
 * Many objects under one `tend up` (a CI-sized 1,000, one file each): the control API answers
 * within 1 s all through the bring-up, and SIGTERM in the middle of a bring-up stops launching,
 * stops what was started and exits 0, leaving no process of the state dir in /proc. The large
 * counts (5,000, 10,000) are measured by `npm run bench -- scale`, not here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { callApi } from '../../src/api/client.ts';
import { createWorld, exited, processManifest, stderrOf, waitFor, type World } from './harness.ts';

const COUNT = 1_000;
const ANSWER_WITHIN_MS = 1_000;

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

function writePrograms(w: World, n: number): void {
  for (let i = 0; i < n; i++) w.write(`p${i}.yaml`, processManifest(`p${i}`, 'command: ["sleep", "1000"]'));
}

// `Started` events in the event log so far.
function startedCount(w: World): number {
  try {
    return (readFileSync(join(w.stateDir, 'events.jsonl'), 'utf8').match(/"reason":"Started"/g) ?? []).length;
  } catch {
    return 0;
  }
}

test(`the API answers within 1 s throughout the bring-up of ${COUNT} programs`, async () => {
  const w = (world = createWorld());
  writePrograms(w, COUNT);
  const up = await w.up();
  const slow: string[] = [];
  let during = 0;
  while (startedCount(w) < COUNT) {
    assert.equal(up.exitCode, null, `tend up ended: ${stderrOf(up)}`);
    const before = startedCount(w);
    const t0 = performance.now();
    const { status, body } = await callApi(w.stateDir, 'GET', '/v1/objects');
    const took = performance.now() - t0;
    assert.equal(status, 200);
    assert.ok(Array.isArray((body as { items: unknown[] }).items));
    if (before < COUNT) during += 1;
    if (took > ANSWER_WITHIN_MS) slow.push(`${took.toFixed(0)} ms at ${before} started`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(during >= 3, `only ${during} requests were made while programs were still starting`);
  assert.deepEqual(slow, [], 'every request during the bring-up is answered within 1 s');
  const items = (await callApi(w.stateDir, 'GET', '/v1/objects')).body as { items: { instances: { pid: number | null }[] }[] };
  assert.equal(items.items.length, COUNT);
  assert.equal(w.markedPids().length, COUNT);
  // `tend diff` asks the running controller: no drift once all run; a broken file is exit 2 with its place.
  await waitFor('no drift', () => w.tend('diff').code === 0, 30_000);
  w.write('bad.yaml', 'apiVersion: tend/v1\nkind: Process\nmetadata: {name: bad}\nspec:\n  command: 5\n');
  const broken = w.tend('diff');
  assert.equal(broken.code, 2, broken.stdout + broken.stderr);
  assert.match(broken.stderr, /bad\.yaml:\d+:\d+/);
});

test(`SIGTERM during the bring-up of ${COUNT} programs stops everything started and exits 0`, async () => {
  const w = (world = createWorld());
  writePrograms(w, COUNT);
  const up = await w.up();
  await waitFor('the bring-up to be under way', () => startedCount(w) >= 50, 60_000);
  const at = startedCount(w);
  up.kill('SIGTERM');
  const code = await exited(up);
  assert.equal(code, 0, `exit code; stderr: ${stderrOf(up)}`);
  assert.ok(at < COUNT, 'the signal came before the bring-up ended');
  assert.ok(startedCount(w) < COUNT, 'launching stopped at the signal');
  assert.deepEqual(w.markedPids(), [], 'no program of the state dir is left in /proc');
});
