/**
 * What `tend up` watches, on real processes: an edit of an envFrom file (a hidden `.env` too)
 * rolls the program with the new value, and a manifest in a folder made after the start runs.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { alive, createWorld, itemOf, processManifest, waitFor, type World } from './harness.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

const pidOf = (w: World, key: string): number | null => itemOf(w.items(), key).instances[0]?.pid ?? null;
const environOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return '';
  }
};

test('editing an envFrom file, in the directory or outside it, restarts the program with the new values', async () => {
  const w = (world = createWorld());
  const outside = join(w.root, 'config');
  mkdirSync(outside);
  writeFileSync(join(outside, 'app.env'), 'SHARED=one\n');
  w.write('.env', 'LOCAL=one\n');
  w.write('app.yaml', processManifest('app', 'command: ["sleep", "1000"]', `envFrom: [{file: .env}, {file: ${join(outside, 'app.env')}}]`));
  await w.up();
  await waitFor('app runs', () => pidOf(w, 'process/app') !== null);
  const first = pidOf(w, 'process/app') ?? 0;
  assert.ok(environOf(first).includes('LOCAL=one') && environOf(first).includes('SHARED=one'));
  w.write('.env', 'LOCAL=two\n');
  await waitFor('app to run with the new .env', () => environOf(pidOf(w, 'process/app') ?? 0).includes('LOCAL=two'));
  const second = pidOf(w, 'process/app') ?? 0;
  assert.ok(!alive(first) || first !== second, 'the old process was replaced');
  writeFileSync(join(outside, 'app.env'), 'SHARED=two\n');
  await waitFor('app to run with the new app.env', () => environOf(pidOf(w, 'process/app') ?? 0).includes('SHARED=two'));
});

test('a manifest written into a folder made after the start runs, and so does a later one beside it', async () => {
  const w = (world = createWorld());
  w.write('web.yaml', processManifest('web', 'command: ["sleep", "1000"]'));
  await w.up();
  await waitFor('web runs', () => pidOf(w, 'process/web') !== null);
  w.write('team/api.yaml', processManifest('api', 'command: ["sleep", "1000"]'));
  await waitFor('api runs', () => w.items().some((i) => i.key === 'process/api' && i.instances[0]?.pid != null));
  w.write('team/jobs.yaml', processManifest('jobs', 'command: ["sleep", "1000"]'));
  await waitFor('jobs runs', () => w.items().some((i) => i.key === 'process/jobs' && i.instances[0]?.pid != null));
});
