/**
 * Nothing an instance starts outlives it, whatever way it left its process group, and a
 * controller that was not there still learns how its programs ended: real `tend` processes,
 * checked in /proc. Each program leaves a `setsid` child and a double-forked grandchild behind;
 * after `tend stop`, a manifest's removal and SIGTERM of `tend up`, no process carrying the state
 * dir's marker is left. After a controller SIGKILL the escaped child (which carries the marker
 * too) is never adopted. A Job that ends while no controller runs is Succeeded or Failed with its
 * real exit code.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { alive, createWorld, exited, itemOf, processManifest, waitFor, type World } from '../integration/harness.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

// A program that leaves a setsid child and a double-forked grandchild, then sleeps.
const escaper = (name: string): string => processManifest(name, 'shell: true', 'command: "setsid sleep 1001 & (sleep 1002 &); exec sleep 1000"', 'stop: {gracePeriod: 5s}');
const pidOf = (w: World, key: string): number => itemOf(w.items(), key).instances[0]?.pid ?? 0;
// The program and its two escaped children, all carrying the marker.
const threeUp = (w: World): boolean => w.markedPids().length === 3;

test('tend stop kills the children that escaped with setsid and a double fork', async () => {
  const w = (world = createWorld());
  w.write('esc.yaml', escaper('esc'));
  await w.up();
  await waitFor('the program and its escapes', () => threeUp(w));
  assert.equal(w.tend('stop', 'process/esc').code, 0);
  await waitFor('nothing of esc left', () => w.markedPids().length === 0, 10_000);
});

test('removing the manifest kills the escaped children too', async () => {
  const w = (world = createWorld());
  w.write('esc.yaml', escaper('esc'));
  await w.up();
  await waitFor('the program and its escapes', () => threeUp(w));
  w.remove('esc.yaml');
  await waitFor('nothing of esc left', () => w.markedPids().length === 0, 15_000);
});

test('SIGTERM of tend up leaves no process alive', async () => {
  const w = (world = createWorld());
  w.write('a.yaml', escaper('a'));
  w.write('b.yaml', escaper('b'));
  const up = await w.up();
  await waitFor('two programs and their escapes', () => w.markedPids().length === 6);
  up.kill('SIGTERM');
  assert.equal(await exited(up), 0);
  await waitFor('nothing left', () => w.markedPids().length === 0, 5000);
});

test('after a controller SIGKILL the escaped child is never adopted: the real program is', async () => {
  const w = (world = createWorld());
  w.write('esc.yaml', escaper('esc'));
  const up = await w.up();
  await waitFor('the program and its escapes', () => threeUp(w));
  const program = pidOf(w, 'process/esc');
  up.kill('SIGKILL');
  await exited(up);
  // The program lives on: the next controller adopts it, not one of its escapes.
  assert.equal(w.tend('reconcile', '--once').code, 0);
  assert.equal(pidOf(w, 'process/esc'), program);
  assert.equal(w.markedPids().length, 3, 'nothing started twice');
  // The program dies while no controller runs: its escapes die with it, and the next pass starts a
  // new program instead of adopting an escape.
  process.kill(program, 'SIGKILL');
  await waitFor('the escapes to die with it', () => w.markedPids().length === 0);
  assert.equal(w.tend('reconcile', '--once', '--wait', '--timeout', '30s').code, 0);
  const fresh = pidOf(w, 'process/esc');
  assert.ok(fresh !== program && alive(fresh), 'a new program runs');
  await waitFor('the new program and its escapes', () => threeUp(w));
  const item = itemOf(w.items(), 'process/esc');
  assert.equal(item.instances[0]?.lastExit?.signal, 'SIGKILL', 'the old program\'s end is known');
});

/** A Job manifest; `spec` lines are indented under `spec:`. */
function jobManifest(name: string, ...spec: string[]): string {
  return ['apiVersion: tend/v1', 'kind: Job', `metadata: {name: ${name}}`, 'spec:', ...spec.map((l) => `  ${l}`), ''].join('\n');
}

interface JobView {
  status: { phase: string; failures: { exitCode: number | null }[] };
  instances: { lastExit: { code: number | null; at?: string | number | null } | null }[];
}

test('a Job that ends while no controller runs is Succeeded, or Failed with its exit code', async () => {
  const w = (world = createWorld());
  const go = join(w.root, 'go');
  const until = (code: number): string => JSON.stringify(['sh', '-c', `while [ ! -f ${go} ]; do sleep 0.05; done; exit ${code}`]);
  w.write('ok.yaml', jobManifest('ok', `command: ${until(0)}`));
  w.write('bad.yaml', jobManifest('bad', `command: ${until(3)}`, 'backoffLimit: 0'));
  assert.equal(w.tend('reconcile', '--once').code, 0);
  await waitFor('both jobs to run', () => w.markedPids().length >= 2);
  const releasedAt = Date.now();
  writeFileSync(go, '');
  await waitFor('both jobs to end', () => w.markedPids().length === 0);
  const r = w.tend('reconcile', '--once', '--wait', '--timeout', '20s');
  const job = (key: string): JobView => itemOf(w.items(), key) as unknown as JobView;
  assert.equal(job('job/ok').status.phase, 'Succeeded', r.stdout + r.stderr);
  assert.equal(job('job/ok').instances[0]?.lastExit?.code, 0);
  assert.equal(job('job/bad').status.phase, 'Failed');
  assert.equal(job('job/bad').status.failures.at(-1)?.exitCode, 3);
  const at = job('job/ok').instances[0]?.lastExit?.at;
  const ms = typeof at === 'string' ? Date.parse(at) : Number(at);
  assert.ok(ms >= releasedAt - 1000 && ms <= releasedAt + 10_000, `the job's own end time (${String(at)})`);
});
