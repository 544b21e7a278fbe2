/**
 * Bad input and faults on real processes: a grace period beyond Node's timer limit really waits,
 * a newcomer file cannot take over a running object, secrets stay out of the state file and
 * of error texts while a controller can still restart, and `reconcile --once` exits 2 for the
 * invalid manifests its own load found, not for those an earlier run logged.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { alive, createWorld, FIXTURES, itemOf, processManifest, stderrOf, waitFor, type World } from './harness.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

const pidOf = (w: World, key: string): number | null => itemOf(w.items(), key).instances[0]?.pid ?? null;

test('gracePeriod: 597h does not SIGKILL a program that ignores SIGTERM after a few ms', async () => {
  const w = (world = createWorld());
  w.write('stubborn.yaml', processManifest('stubborn', `command: ["node", "${join(FIXTURES, 'ignore-sigterm.js')}"]`, 'stop: {gracePeriod: 597h}'));
  await w.up();
  await waitFor('stubborn runs', () => pidOf(w, 'process/stubborn') !== null);
  const pid = pidOf(w, 'process/stubborn') ?? 0;
  assert.equal(w.tend('stop', 'process/stubborn').code, 0);
  await waitFor('the stop to begin', () => itemOf(w.items(), 'process/stubborn').instances[0]?.phase === 'Stopping');
  // On Node a 2,149,200,000 ms timer fires after about 1 ms; a second is ample to see it did not.
  const until = Date.now() + 1_000;
  while (Date.now() < until) {
    assert.ok(alive(pid), 'SIGKILLed long before its grace period');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

test('an earlier-sorting file redefining a running object does not take it over and is blamed', async () => {
  const w = (world = createWorld());
  w.write('web.yaml', processManifest('web', 'command: ["sleep", "1000"]'));
  const child = await w.up();
  await waitFor('web runs', () => pidOf(w, 'process/web') !== null);
  const pid = pidOf(w, 'process/web');
  w.write('a-web.yaml', processManifest('web', 'command: ["sleep", "2000"]'));
  await waitFor('the duplicate to be reported', () => /a-web\.yaml:3:\d+: .*process\/web is already defined at .*web\.yaml/.test(stderrOf(child)));
  assert.equal(pidOf(w, 'process/web'), pid, 'the running definition was kept');
  assert.doesNotMatch(stderrOf(child), /^[^\n]*\/web\.yaml:\d+:\d+: [^\n]*already defined/m);
});

test('secrets never reach state.json or events; a restart without a valid manifest refuses to start without them', async () => {
  const w = (world = createWorld());
  w.write('.env', 'FROM_FILE=file-secret-value\n');
  w.write('app.yaml', processManifest('app', 'command: ["sleep", "1000"]', 'env: {TOKEN: {value: "token-secret-value", secret: true}}', 'envFrom: [{file: .env}]', 'backoff: {strategy: fixed, initialDelay: 100ms, jitter: 0}'));
  const first = w.tend('reconcile', '--once');
  assert.equal(first.code, 0, first.stderr + first.stdout);
  const pid = pidOf(w, 'process/app') ?? 0;
  const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  assert.ok(environ.includes('TOKEN=token-secret-value') && environ.includes('FROM_FILE=file-secret-value'), 'the program has its secrets');
  const stored = (): string => readFileSync(join(w.stateDir, 'state.json'), 'utf8') + readFileSync(join(w.stateDir, 'events.jsonl'), 'utf8');
  assert.ok(!/token-secret-value|file-secret-value/.test(stored()));
  // Broken manifest, dead program: the object comes from the state file, which has no secrets.
  w.write('app.yaml', 'spec: [\n');
  process.kill(-pid, 'SIGKILL');
  await waitFor('app to die', () => !alive(pid));
  const broken = w.tend('reconcile', '--once');
  assert.match(broken.stdout + broken.stderr + stored(), /not kept in the state file/);
  assert.ok(!/token-secret-value|file-secret-value/.test(stored()));
  assert.deepEqual(w.markedPids(), [], 'nothing started without its secrets');
  w.write('app.yaml', processManifest('app', 'command: ["sleep", "1000"]', 'env: {TOKEN: {value: "token-secret-value", secret: true}}', 'envFrom: [{file: .env}]'));
  const fixed = w.tend('reconcile', '--once', '--wait', '--timeout', '30s');
  assert.equal(fixed.code, 0, `the manifests are valid again: ${fixed.stderr}`);
  const fresh = pidOf(w, 'process/app') ?? 0;
  assert.ok(fresh > 0 && alive(fresh), 'started again once the manifest is valid');
  assert.ok(readFileSync(`/proc/${fresh}/environ`, 'latin1').includes('TOKEN=token-secret-value'));
});

test('reconcile --once exits 2 while a manifest is invalid and 0 once it is fixed, alone and handed to tend up', async () => {
  const w = (world = createWorld());
  w.write('web.yaml', processManifest('web', 'command: ["sleep", "1000"]'));
  w.write('other.yaml', 'spec: [\n');
  const broken = w.tend('reconcile', '--once');
  assert.equal(broken.code, 2, `an invalid file: ${broken.stderr}`);
  assert.match(broken.stderr, /other\.yaml:\d+:\d+: /);
  w.write('other.yaml', processManifest('other', 'command: ["sleep", "1000"]'));
  const fixed = w.tend('reconcile', '--once');
  assert.equal(fixed.code, 0, `fixed: the ManifestInvalid event an earlier run logged does not count: ${fixed.stderr}`);
  const logged = w.tend('events', '-o', 'json').stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { object: string; type: string });
  assert.ok(logged.some((e) => e.object === 'manifests' && e.type === 'Warning'), 'the earlier problem is still in the event log');
  await w.up();
  w.write('other.yaml', 'spec: [\n');
  const handedBroken = w.tend('reconcile', '--once');
  assert.equal(handedBroken.code, 2, `handed to tend up, an invalid file: ${handedBroken.stderr}`);
  w.write('other.yaml', processManifest('other', 'command: ["sleep", "1000"]'));
  const handedFixed = w.tend('reconcile', '--once');
  assert.equal(handedFixed.code, 0, `handed to tend up, fixed: ${handedFixed.stderr}`);
});
