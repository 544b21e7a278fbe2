/**
 * Jobs on real processes, scheduled against a small Node capacity: a critical Job suspends a
 * low one (its group is in state T) which resumes and completes afterwards; requeue stops and
 * runs it again; activeDeadline kills (Timeout); backoffLimit ends in Failed; a Process that
 * dependsOn a Job (completed) starts only after the Job succeeded.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { alive, createWorld, itemOf, processManifest, waitFor, type World } from './harness.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

interface JobItem {
  status: { phase: string; reason: string; failures: { type: string }[]; job?: { succeeded: number; retries: number; requeues: number; queuePosition?: number }; scheduling?: { running: number; suspended: number; queued: number } };
  instances: { id: string; pid: number | null; phase: string; restarts: number; startedAt: string | null }[];
}
const item = (w: World, key: string): JobItem => itemOf(w.items(), key) as unknown as JobItem;
const pidOf = (w: World, key: string): number => item(w, key).instances.find((i) => i.pid !== null)?.pid ?? 0;
const sh = (script: string): string => JSON.stringify(['sh', '-c', script]);
const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

/** A Job manifest; `spec` lines are indented under `spec:`. */
function jobManifest(name: string, ...spec: string[]): string {
  return ['apiVersion: tend/v1', 'kind: Job', `metadata: {name: ${name}}`, 'spec:', ...spec.map((l) => `  ${l}`), ''].join('\n');
}

const NODE = ['apiVersion: tend/v1', 'kind: Node', 'metadata: {name: local}', 'spec: {capacity: {cpu: 1, memory: 1Gi}}', ''].join('\n');

/** The state letter of `/proc/<pid>/stat` (R, S, T, Z...). */
function procState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] ?? '';
}

// A shell loop that waits for `file` to exist: a Job that runs until the test lets it finish.
const until = (file: string, then: string): string => sh(`while [ ! -f ${file} ]; do sleep 0.05; done; ${then}`);

test('a critical Job arriving on a full Node suspends a low one, which resumes and completes after it', async () => {
  const w = (world = createWorld());
  const go = join(w.root, 'go');
  const lowDone = join(w.root, 'low.done');
  const critDone = join(w.root, 'crit.done');
  w.write('node.yaml', NODE);
  w.write('low.yaml', jobManifest('low', `command: ${until(go, `date +%s%N > ${lowDone}`)}`, 'priority: low', 'resources: {requests: {cpu: 1}}'));
  await w.up();
  await waitFor('low runs', () => pidOf(w, 'job/low') > 0 && item(w, 'job/low').status.phase === 'Running');
  const low = pidOf(w, 'job/low');
  w.write('crit.yaml', jobManifest('crit', `command: ${until(go, `date +%s%N > ${critDone}`)}`, 'priority: critical', 'resources: {requests: {cpu: 1}}'));
  await waitFor('low is suspended', () => item(w, 'job/low').status.phase === 'Suspended');
  // SIGSTOP takes effect once the process leaves an uninterruptible sleep ('D' under load).
  await waitFor('the low job\'s process is stopped', () => procState(low) === 'T');
  await waitFor('crit runs', () => pidOf(w, 'job/crit') > 0);
  assert.equal(item(w, 'job/crit').status.scheduling?.suspended, 1);
  writeFileSync(go, '');
  await waitFor('crit succeeds', () => item(w, 'job/crit').status.phase === 'Succeeded');
  await waitFor('low resumes and succeeds', () => item(w, 'job/low').status.phase === 'Succeeded');
  assert.ok(Number(read(lowDone)) > Number(read(critDone)), 'low, stopped while both could finish, finished after crit');
  assert.equal(item(w, 'job/low').status.job?.retries, 0);
});

test('requeue: a preempted low Job is stopped, waits, and runs again as a restart, not a failure', async () => {
  const w = (world = createWorld());
  const runs = join(w.root, 'runs');
  const go = join(w.root, 'go');
  w.write('node.yaml', NODE);
  w.write('low.yaml', jobManifest('low', `command: ${sh(`echo run >> ${runs}; while [ ! -f ${go} ]; do sleep 0.05; done`)}`, 'priority: low', 'preemption: requeue', 'resources: {requests: {cpu: 1}}'));
  await w.up();
  await waitFor('low runs', () => pidOf(w, 'job/low') > 0);
  const first = pidOf(w, 'job/low');
  w.write('crit.yaml', jobManifest('crit', `command: ${sh('sleep 0.5')}`, 'priority: critical', 'resources: {requests: {cpu: 1}}'));
  await waitFor('low is stopped', () => !alive(first));
  await waitFor('crit succeeds', () => item(w, 'job/crit').status.phase === 'Succeeded');
  await waitFor('low runs again', () => read(runs) === 'run\nrun\n' && pidOf(w, 'job/low') > 0);
  writeFileSync(go, '');
  await waitFor('low succeeds', () => item(w, 'job/low').status.phase === 'Succeeded');
  const status = item(w, 'job/low').status;
  assert.deepEqual([status.job?.requeues, status.job?.retries, status.failures.length], [1, 0, 0]);
  assert.equal(item(w, 'job/low').instances[0]?.restarts, 1);
});

test('a Job that does not fit waits as Pending with the reason and its queue position', async () => {
  const w = (world = createWorld());
  w.write('node.yaml', NODE);
  w.write('a.yaml', jobManifest('a', 'command: ["sleep", "1000"]', 'priority: low', 'preemptible: false', 'resources: {requests: {cpu: 1}}'));
  w.write('b.yaml', jobManifest('b', 'command: ["sleep", "1000"]', 'priority: low', 'resources: {requests: {cpu: 500m}}'));
  await w.up();
  await waitFor('a runs', () => pidOf(w, 'job/a') > 0 || pidOf(w, 'job/b') > 0);
  const waiting = pidOf(w, 'job/a') > 0 ? 'job/b' : 'job/a';
  await waitFor('the other waits', () => item(w, waiting).status.reason.startsWith('Insufficient cpu'));
  assert.deepEqual([item(w, waiting).status.phase, item(w, waiting).status.job?.queuePosition], ['Pending', 1]);
  assert.match(w.tend('get', 'jobs').stdout, /Pending \(Insufficient cpu\)/);
});

test('activeDeadline kills a Job that runs too long: Failed, failure type Timeout', async () => {
  const w = (world = createWorld());
  const started = join(w.root, 'started');
  w.write('slow.yaml', jobManifest('slow', `command: ${sh(`date +%s%N > ${started}; exec sleep 1000`)}`, 'activeDeadline: 1s', 'stop: {gracePeriod: 1s}'));
  await w.up();
  await waitFor('slow fails', () => item(w, 'job/slow').status.phase === 'Failed');
  const endedAt = Date.now();
  assert.equal(item(w, 'job/slow').status.reason, 'Timeout');
  assert.deepEqual(item(w, 'job/slow').status.failures.map((f) => f.type), ['Timeout']);
  assert.ok(endedAt - Number(read(started)) / 1e6 >= 1000, 'it ran its deadline first');
  assert.deepEqual(w.markedPids(), [], 'nothing of it runs');
});

test('backoffLimit: a Job that keeps failing is retried backoffLimit times, then Failed', async () => {
  const w = (world = createWorld());
  const runs = join(w.root, 'runs');
  w.write('bad.yaml', jobManifest('bad', `command: ${sh(`echo run >> ${runs}; exit 3`)}`, 'backoffLimit: 2', 'backoff: {initialDelay: 50ms, jitter: 0}'));
  await w.up();
  await waitFor('bad fails', () => item(w, 'job/bad').status.phase === 'Failed');
  const status = item(w, 'job/bad').status;
  assert.deepEqual([status.reason, status.job?.retries, read(runs)], ['BackoffLimitExceeded', 2, 'run\nrun\nrun\n']);
  // Nothing starts again, however long it waits.
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(read(runs), 'run\nrun\nrun\n');
});

test('a Process that dependsOn a migration Job (completed) starts only after the Job succeeded', async () => {
  const w = (world = createWorld());
  const go = join(w.root, 'go');
  const done = join(w.root, 'migrated');
  w.write('migrate.yaml', jobManifest('migrate', `command: ${until(go, `touch ${done}`)}`));
  w.write('web.yaml', processManifest('web', 'command: ["sleep", "1000"]', 'dependsOn: [{kind: Job, name: migrate, condition: completed}]'));
  await w.up();
  await waitFor('the job runs', () => pidOf(w, 'job/migrate') > 0);
  await waitFor('web waits for the job', () => item(w, 'process/web').status.reason === 'WaitingForDependency');
  assert.deepEqual(item(w, 'process/web').instances, []);
  writeFileSync(go, '');
  await waitFor('web runs', () => pidOf(w, 'process/web') > 0);
  assert.ok(existsSync(done), 'the migration had finished first');
  assert.equal(item(w, 'job/migrate').status.phase, 'Succeeded');
});

test('get jobs, describe and get -o json show the queue and the use of capacity', async () => {
  const w = (world = createWorld());
  w.write('node.yaml', NODE);
  w.write('a.yaml', jobManifest('a', 'command: ["sleep", "1000"]', 'preemptible: false', 'resources: {requests: {cpu: 1, memory: 256Mi}}'));
  w.write('b.yaml', jobManifest('b', 'command: ["sleep", "1000"]', 'resources: {requests: {cpu: 1}}'));
  await w.up();
  await waitFor('one runs, one waits', () => item(w, 'job/a').status.phase === 'Running' && item(w, 'job/b').status.phase === 'Pending');
  const table = w.tend('get', 'jobs').stdout;
  assert.match(table, /^NAME\s+COMPLETIONS\s+DURATION\s+PRIORITY\s+STATUS\s+AGE$/m);
  assert.match(table, /^job\/b\s+0\/1\s+-\s+20\s+Pending \(Insufficient cpu\), queue #1/m);
  assert.match(w.tend('describe', 'job/b').stdout, /Scheduling: +1 running, 0 suspended, 1 queued; cpu 1\/1 \(100 %\), memory 256Mi\/1\.0Gi \(25 %\)/);
  assert.deepEqual(item(w, 'job/b').status.scheduling, { queued: 1, running: 1, suspended: 0, capacity: { cpu: 1, memory: 1073741824 }, used: { cpu: 1, memory: 268435456 }, utilization: { cpu: 1, memory: 0.25 } });
});

test('time slicing: two equal Jobs on a one-cpu Node take turns, SIGSTOP and SIGCONT on their groups', async () => {
  const w = (world = createWorld());
  w.write('node.yaml', ['apiVersion: tend/v1', 'kind: Node', 'metadata: {name: local}', 'spec: {capacity: {cpu: 1}, timeSlice: 400ms}', ''].join('\n'));
  w.write('a.yaml', jobManifest('a', 'command: ["sleep", "1000"]', 'resources: {requests: {cpu: 1}}'));
  w.write('b.yaml', jobManifest('b', 'command: ["sleep", "1000"]', 'resources: {requests: {cpu: 1}}'));
  await w.up();
  await waitFor('both have run', () => pidOf(w, 'job/a') > 0 && pidOf(w, 'job/b') > 0);
  const a = pidOf(w, 'job/a');
  const b = pidOf(w, 'job/b');
  const turn = (running: number, stopped: number) => () => procState(running) !== 'T' && procState(stopped) === 'T';
  for (let i = 0; i < 2; i++) {
    await waitFor('a runs while b is stopped', turn(a, b), 5000);
    await waitFor('b runs while a is stopped', turn(b, a), 5000);
  }
  assert.deepEqual([pidOf(w, 'job/a'), pidOf(w, 'job/b')], [a, b], 'the same processes, continued, not restarted');
});
