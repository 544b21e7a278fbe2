/**
 * What tend says it will do is what it does, on real processes: `tend diff` and
 * `reconcile --once --dry-run` name the Jobs a pass starts and why the others wait; one pass
 * admits Jobs in priority order against the Node's capacity; a rollout whose new revision never
 * becomes Ready keeps the old instances serving; every start and end is told once, by this
 * controller or the next; `reconcile --once --wait` ends on the state `get` shows.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { alive, createWorld, exited, FIXTURES, itemOf, processManifest, waitFor, type World } from './harness.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

interface EventLine {
  readonly object: string;
  readonly instance?: string;
  readonly reason: string;
  readonly message: string;
}

const sh = (script: string): string => JSON.stringify(['sh', '-c', script]);
const node = (fixture: string, ...args: string[]): string => JSON.stringify([process.execPath, join(FIXTURES, fixture), ...args]);
const jobManifest = (name: string, ...spec: string[]): string =>
  ['apiVersion: tend/v1', 'kind: Job', `metadata: {name: ${name}}`, 'spec:', ...spec.map((l) => `  ${l}`), ''].join('\n');
const NODE_ONE_CPU = ['apiVersion: tend/v1', 'kind: Node', 'metadata: {name: local}', 'spec: {capacity: {cpu: 1}}', ''].join('\n');

function events(w: World): EventLine[] {
  const r = w.tend('events', '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as EventLine);
}

const running = (w: World): string[] => w.items().filter((i) => i.instances.some((x) => x.pid !== null)).map((i) => i.key);

test('two Jobs in a fresh directory: diff and the dry run name both starts, and the pass starts them', () => {
  const w = (world = createWorld());
  const go = join(w.root, 'go');
  for (const name of ['first', 'second']) w.write(`${name}.yaml`, jobManifest(name, `command: ${sh(`while [ ! -f ${go} ]; do sleep 0.05; done`)}`));
  const diff = w.tend('diff');
  assert.equal(diff.code, 1, `diff exits 1 on drift: ${diff.stdout}${diff.stderr}`);
  assert.match(diff.stdout, /\+ start job\/first first-0 \(Create\)/);
  assert.match(diff.stdout, /\+ start job\/second second-0 \(Create\)/);
  const dry = w.tend('reconcile', '--once', '--dry-run');
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.stdout, diff.stdout, 'the dry run prints the plan diff prints');
  assert.equal(w.markedPids().length, 0, 'neither started anything');
  const pass = w.tend('reconcile', '--once');
  assert.equal(pass.code, 0, pass.stderr);
  assert.equal(pass.stdout, dry.stdout, 'the pass did what the dry run said');
  assert.deepEqual(running(w).sort(), ['job/first', 'job/second']);
  writeFileSync(go, '');
});

test('a Node with one cpu and two one-cpu Jobs in one file: one runs at a time, in one pass and under tend up', async () => {
  const w = (world = createWorld());
  const go = join(w.root, 'go');
  const wait = `command: ${sh(`while [ ! -f ${go} ]; do sleep 0.05; done`)}`;
  w.write('all.yaml', [NODE_ONE_CPU, jobManifest('first', wait, 'resources: {requests: {cpu: 1}}'), jobManifest('second', wait, 'resources: {requests: {cpu: 1}}')].join('---\n'));
  const diff = w.tend('diff');
  assert.equal(diff.code, 1);
  assert.match(diff.stdout, /start job\/first first-0/);
  assert.match(diff.stdout, /wait job\/second second-0 \(Unschedulable\): .*Insufficient cpu/);
  const pass = w.tend('reconcile', '--once');
  assert.equal(pass.code, 0, pass.stderr);
  assert.match(pass.stdout, /wait job\/second second-0 \(Unschedulable\)/);
  assert.deepEqual(running(w), ['job/first'], 'the pass started only what fits');
  const up = await w.up();
  // Both finish one after the other; never both at once.
  writeFileSync(go, '');
  let seen = 0;
  await waitFor('both Jobs to succeed', () => {
    const items = w.items();
    seen = Math.max(seen, items.filter((i) => i.instances.some((x) => x.pid !== null)).length);
    return ['job/first', 'job/second'].every((key) => itemOf(items, key).status.phase === 'Succeeded');
  }, 30_000);
  assert.ok(seen <= 1, `at most one Job ran at a time (saw ${seen})`);
  up.kill('SIGTERM');
  await exited(up);
});

test('tend up admits two one-cpu Jobs that arrive together one at a time', async () => {
  const w = (world = createWorld());
  const go = join(w.root, 'go');
  const wait = `command: ${sh(`while [ ! -f ${go} ]; do sleep 0.05; done`)}`;
  w.write('all.yaml', [NODE_ONE_CPU, jobManifest('first', wait, 'resources: {requests: {cpu: 1}}'), jobManifest('second', wait, 'resources: {requests: {cpu: 1}}')].join('---\n'));
  const up = await w.up();
  await waitFor('one Job to run', () => running(w).length === 1);
  assert.equal(events(w).filter((e) => e.reason === 'Started').length, 1, 'only one program was started');
  assert.equal(itemOf(w.items(), 'job/second').status.phase, 'Pending');
  writeFileSync(go, '');
  await waitFor('both Jobs to succeed', () => w.items().filter((i) => i.status.phase === 'Succeeded').length === 2, 30_000);
  up.kill('SIGTERM');
  await exited(up);
});

test('a rollout to a revision that never becomes Ready stops one old instance and keeps two serving', async () => {
  const w = (world = createWorld());
  const base = ['replicas: 3', 'updateStrategy: {type: RollingUpdate, maxUnavailable: 1}', 'stop: {gracePeriod: 2s}'];
  w.write('web.yaml', processManifest('web', `command: ${node('sleep-forever.js')}`, ...base));
  const up = await w.up();
  await waitFor('three old instances', () => itemOf(w.items(), 'process/web').status.readyReplicas === 3);
  const old = itemOf(w.items(), 'process/web').instances.map((i) => i.pid ?? 0);
  const never = join(w.root, 'never-ok');
  w.write('web.yaml', processManifest('web', `command: ${node('sleep-forever.js', 'v2')}`, ...base, `probes: {readiness: {exec: ${node('check-file.js', never)}, period: 100ms, failureThreshold: 1}}`));
  await waitFor('the first new instance', () => itemOf(w.items(), 'process/web').instances.some((i) => i.pid !== null && !old.includes(i.pid)));
  // Long enough for many probe periods: a rollout that lost its budget would have moved on.
  const deadline = Date.now() + 3000;
  await waitFor('the probe to have run a while', () => Date.now() > deadline, 10_000);
  const alives = old.filter((pid) => alive(pid));
  assert.equal(alives.length, 2, `two old instances still serve (alive: ${alives.join(', ')})`);
  up.kill('SIGTERM');
  await exited(up);
});

test('tend restart tells the old instance\'s exit and the new one\'s start, each with its pid; shutdown tells its end', async () => {
  const w = (world = createWorld());
  w.write('web.yaml', processManifest('web', `command: ${node('sleep-forever.js')}`));
  const up = await w.up();
  await waitFor('web runs', () => (itemOf(w.items(), 'process/web').instances[0]?.pid ?? null) !== null);
  const before = itemOf(w.items(), 'process/web').instances[0]?.pid ?? 0;
  assert.equal(w.tend('restart', 'process/web').code, 0);
  await waitFor('a new pid', () => {
    const pid = itemOf(w.items(), 'process/web').instances[0]?.pid ?? null;
    return pid !== null && pid !== before;
  });
  const after = itemOf(w.items(), 'process/web').instances[0]?.pid ?? 0;
  await waitFor('the events', () => events(w).some((e) => e.reason === 'Started' && e.message.includes(`pid ${after}`)));
  const told = events(w).filter((e) => e.object === 'process/web');
  assert.equal(told.filter((e) => e.reason === 'Exited' && e.message.includes(`pid ${before}`)).length, 1, 'one Exited for the old pid');
  assert.equal(told.filter((e) => e.reason === 'Started' && e.message.includes(`pid ${after}`)).length, 1, 'one Started for the new pid');
  up.kill('SIGTERM');
  await exited(up);
  const shutdown = events(w).filter((e) => e.object === 'process/web' && e.reason === 'Exited' && e.message.includes(`pid ${after}`));
  assert.equal(shutdown.length, 1, 'the shutdown tells the new instance\'s end too');
});

test('deleting a manifest tells Stopping and then Exited', async () => {
  const w = (world = createWorld());
  w.write('web.yaml', processManifest('web', `command: ${node('sleep-forever.js')}`));
  const up = await w.up();
  await waitFor('web runs', () => (itemOf(w.items(), 'process/web').instances[0]?.pid ?? null) !== null);
  const pid = itemOf(w.items(), 'process/web').instances[0]?.pid ?? 0;
  w.remove('web.yaml');
  await waitFor('web is stopped', () => !alive(pid));
  await waitFor('its exit is told', () => events(w).some((e) => e.object === 'process/web' && e.reason === 'Exited' && e.message.includes(`pid ${pid}`)));
  assert.ok(events(w).some((e) => e.object === 'process/web' && e.reason === 'Stopping'));
  await waitFor('web is forgotten', () => !w.items().some((i) => i.key === 'process/web'));
  up.kill('SIGTERM');
  await exited(up);
});

test('a controller that starts after an exit was told does not tell it again', async () => {
  const w = (world = createWorld());
  w.write('once.yaml', processManifest('once', `command: ${sh('exit 3')}`, 'restartPolicy: Never'));
  const up = await w.up();
  await waitFor('the exit is told', () => events(w).some((e) => e.object === 'process/once' && e.reason === 'Exited'));
  up.kill('SIGTERM');
  await exited(up);
  assert.equal(w.tend('reconcile', '--once').code, 0);
  const again = await w.up();
  await waitFor('the second controller to answer', () => w.items().length > 0);
  assert.equal(events(w).filter((e) => e.object === 'process/once' && e.reason === 'Exited').length, 1);
  again.kill('SIGTERM');
  await exited(again);
});

test('adopting a stack warns of no dependency before the dependency was probed', async () => {
  const w = (world = createWorld());
  const ok = join(w.root, 'db-ok');
  writeFileSync(ok, 'ok');
  w.write('db.yaml', processManifest('db', `command: ${node('sleep-forever.js')}`, `probes: {readiness: {exec: ${node('check-file.js', ok)}, period: 200ms}}`));
  w.write('web.yaml', processManifest('web', `command: ${node('sleep-forever.js')}`, 'dependsOn: [{name: db, condition: ready}]'));
  const first = w.tend('reconcile', '--once', '--wait', '--timeout', '30s');
  assert.equal(first.code, 0, first.stderr);
  const up = await w.up();
  await waitFor('db is ready under the new controller', () => itemOf(w.items(), 'process/db').status.readyReplicas === 1);
  assert.deepEqual(events(w).filter((e) => e.reason === 'DependencyFailure'), []);
  up.kill('SIGTERM');
  await exited(up);
});

test('reconcile --once --wait ends on one converged line, and get right after shows that state', () => {
  const w = (world = createWorld());
  w.write('web.yaml', processManifest('web', `command: ${node('sleep-forever.js')}`, 'replicas: 2'));
  const r = w.tend('reconcile', '--once', '--wait', '--timeout', '30s');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines.at(-1) ?? '', /^converged: process\/web 2\/2 Running$/);
  const web = itemOf(w.items(), 'process/web');
  assert.equal(`${web.status.readyReplicas}/2 ${web.status.phase}`, '2/2 Running');
});

test('a Succeeded Job shows its completions as READY', () => {
  const w = (world = createWorld());
  w.write('once.yaml', jobManifest('once', `command: ${sh('exit 0')}`, 'completions: 2'));
  const r = w.tend('reconcile', '--once', '--wait', '--timeout', '30s');
  assert.equal(r.code, 0, r.stderr);
  const job = itemOf(w.items(), 'job/once');
  assert.equal(job.status.phase, 'Succeeded');
  assert.equal(job.status.readyReplicas, 2);
  assert.match(w.tend('get').stdout, /job\/once\s+2\/2\s+Succeeded/);
});
