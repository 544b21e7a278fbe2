/**
 * Lifecycle hooks on real processes: preStart before the program (its failure fails the start),
 * postStart beside it (gates Ready; its failure stops the instance), preStop before the signal
 * (its failure or timeout still stops), postStop once the process group is gone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts';
import { findShimBinary } from '../../src/executor/local/shim-client.ts';
import { systemClock } from '../../src/platform/clock.ts';
import { stateIdOf } from '../../src/platform/state-dir.ts';
import { alive, createWorld, exited, itemOf, processManifest, waitFor, type World } from './harness.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

interface HookItem {
  status: { phase: string; readyReplicas: number; failures: { type: string; exitCode: number | null }[] };
  instances: { id: string; pid: number | null; phase: string; reason: string; ready: boolean; hook?: string }[];
}
const web = (w: World): HookItem => itemOf(w.items(), 'process/web') as unknown as HookItem;
const sh = (script: string): string => JSON.stringify(['sh', '-c', script]);
const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

// web with a preStart that never ends on its own; returns the file it writes its pid to.
function writeHangingPreStart(w: World): string {
  const hookPid = join(w.root, 'hookpid');
  w.write('web.yaml', processManifest('web', 'command: ["sleep", "1000"]', 'lifecycle:', `  preStart: {exec: ${sh(`echo $$ > ${hookPid}; exec sleep 1000`)}}`));
  return hookPid;
}

test('preStart runs first with the instance env and logs; its failure fails the start (HookFailure) until it passes', async () => {
  const w = (world = createWorld());
  const flag = join(w.root, 'ok');
  const seen = join(w.root, 'seen');
  w.write('web.yaml', processManifest('web',
    `command: ${sh(`test -f ${seen} && exec sleep 1000`)}`,
    'restartPolicy: OnFailure',
    'backoff: {initialDelay: 100ms, maxDelay: 200ms}',
    'lifecycle:',
    `  preStart: {exec: ${sh(`echo migrating-$TEND_INSTANCE; test -f ${flag} || exit 3; echo $TEND_INSTANCE > ${seen}`)}}`,
  ));
  await w.up();
  await waitFor('two HookFailure failures', () => web(w).status.failures.filter((f) => f.type === 'HookFailure').length >= 2);
  assert.equal(web(w).status.failures[0]?.exitCode, 3);
  assert.deepEqual(w.markedPids(), [], 'the program never ran while preStart failed');
  writeFileSync(flag, '');
  await waitFor('the program runs once preStart passes', () => {
    const pid = web(w).instances[0]?.pid;
    return pid !== null && pid !== undefined && alive(pid);
  });
  assert.equal(read(seen).trim(), 'web-0');
  await waitFor('the start is told once the program runs', () => /Started .*web-0 started \(pid \d+\) after its preStart hook/.test(w.tend('events').stdout));
  assert.match(w.tend('logs', 'process/web').stdout, /migrating-web-0/);
});

test('postStart holds Ready until it ends; a failing postStart stops the instance as a HookFailure', async () => {
  const w = (world = createWorld());
  const go = join(w.root, 'go');
  w.write('web.yaml', processManifest('web',
    'command: ["sleep", "1000"]',
    'lifecycle:',
    `  postStart: {exec: ${sh(`while [ ! -f ${go} ]; do sleep 0.05; done`)}}`,
  ));
  await w.up();
  await waitFor('the program runs in postStart', () => web(w).instances[0]?.hook === 'postStart');
  const [instance] = web(w).instances;
  assert.ok(instance?.pid && alive(instance.pid));
  assert.equal(instance.ready, false);
  assert.equal(instance.phase, 'Starting');
  assert.equal(web(w).status.readyReplicas, 0);
  writeFileSync(go, '');
  await waitFor('Ready once postStart is done', () => web(w).status.readyReplicas === 1);

  w.write('web.yaml', processManifest('web',
    'command: ["sleep", "1001"]',
    'restartPolicy: Never',
    'lifecycle:',
    `  postStart: {exec: ${sh('exit 4')}}`,
  ));
  await waitFor('the new revision is stopped by its postStart', () => web(w).status.failures.some((f) => f.type === 'HookFailure'));
  await waitFor('and stays stopped (restartPolicy Never)', () => web(w).instances[0]?.phase === 'Failed');
  assert.deepEqual(w.markedPids(), []);
});

test('a stop runs preStop before the signal and postStop after the group is gone', async () => {
  const w = (world = createWorld());
  const order = join(w.root, 'order');
  const pidFile = join(w.root, 'pid');
  w.write('web.yaml', processManifest('web',
    `command: ${sh(`echo $$ > ${pidFile}; trap 'echo term >> ${order}; exit 0' TERM; sleep 1000 & wait`)}`,
    'stop: {gracePeriod: 5s}',
    'lifecycle:',
    `  preStop: {exec: ${sh(`echo prestop-$TEND_INSTANCE >> ${order}`)}}`,
    `  postStop: {exec: ${sh(`if kill -0 -$(cat ${pidFile}) 2>/dev/null; then echo alive >> ${order}; else echo gone >> ${order}; fi`)}}`,
  ));
  await w.up();
  await waitFor('web runs', () => read(pidFile) !== '' && web(w).instances[0]?.phase === 'Running');
  assert.equal(w.tend('stop', 'process/web').code, 0);
  await waitFor('stopped', () => web(w).instances[0]?.phase === 'Stopped');
  assert.deepEqual(read(order).trim().split('\n'), ['prestop-web-0', 'term', 'gone']);
});

test('a preStop that times out still stops the instance and is recorded', async () => {
  const w = (world = createWorld());
  w.write('web.yaml', processManifest('web',
    'command: ["sleep", "1000"]',
    'lifecycle:',
    '  preStop: {exec: ["sleep", "30"], timeout: 300ms}',
  ));
  await w.up();
  await waitFor('web runs', () => web(w).instances[0]?.phase === 'Running');
  const pid = web(w).instances[0]?.pid ?? 0;
  assert.equal(w.tend('stop', 'process/web').code, 0);
  await waitFor('the program is gone', () => !alive(pid), 5_000);
  await waitFor('the hook failure is an event', () => /HookFailed.*preStop hook sleep 30: timed out after 300 ms/.test(w.tend('events').stdout));
});

test('a stop during preStart cuts the hook and the program never runs', async () => {
  const w = (world = createWorld());
  const hookPid = writeHangingPreStart(w);
  await w.up();
  await waitFor('preStart runs', () => read(hookPid) !== '' && web(w).instances[0]?.reason === 'PreStartHook');
  const pid = Number(read(hookPid));
  assert.ok(alive(pid));
  assert.equal(w.tend('stop', 'process/web').code, 0);
  await waitFor('the hook is cut', () => !alive(pid), 5_000);
  await waitFor('the instance is stopped', () => web(w).instances[0]?.phase === 'Stopped');
  assert.deepEqual(w.markedPids(), [], 'the program never started');
});

test('reconcile --once waits for preStart, so the program runs when it returns', () => {
  const w = (world = createWorld());
  w.write('web.yaml', processManifest('web',
    'command: ["sleep", "1000"]',
    'lifecycle:',
    `  preStart: {exec: ${sh('sleep 0.3')}}`,
  ));
  assert.equal(w.tend('reconcile', '--once').code, 0);
  assert.equal(w.markedPids().length, 1);
});

test('a preStart left running by a killed controller is cut by the next one, so it never runs twice at once', async () => {
  const w = (world = createWorld());
  const hookPid = writeHangingPreStart(w);
  const first = await w.up();
  await waitFor('preStart runs', () => read(hookPid) !== '');
  const orphan = Number(read(hookPid));
  first.kill('SIGKILL');
  await exited(first);
  assert.ok(alive(orphan), 'the hook outlives its controller');
  assert.deepEqual(hookRecords(w), [`${first.pid}-1.hook`], 'the hook left its record');
  w.items();
  assert.ok(alive(orphan), 'an offline look (tend get) kills nothing');
  writeFileSync(hookPid, '');
  await w.up();
  await waitFor('the orphan is killed', () => !alive(orphan), 5_000);
  await waitFor('a new preStart runs', () => read(hookPid) !== '' && Number(read(hookPid)) !== orphan);
  assert.match(w.tend('events').stdout, /HookAbandoned.*preStart hook of web-0/);
  assert.ok(!hookRecords(w).some((name) => name.startsWith(`${first.pid}-`)), 'the record of the cut hook is gone');
});

test('a new controller looks for abandoned hooks only when a hook left its record', { skip: findShimBinary() === undefined && 'no spawn helper built' }, async () => {
  const w = (world = createWorld());
  mkdirSync(join(w.stateDir, 'run'), { recursive: true, mode: 0o700 });
  const stateId = stateIdOf(w.stateDir);
  // A process that carries this state dir's hook marker, as a hook a dead controller left does.
  const env = { ...process.env, TEND_HOOK_OF: stateId, TEND_OBJECT: 'process/web', TEND_INSTANCE: 'web-0', TEND_HOOK: 'preStart' };
  const stray = spawn('sleep', ['1000'], { env, detached: true, stdio: 'ignore' });
  const pid = stray.pid ?? 0;
  const adopt = async () => {
    const executor = createLocalExecutor({ stateDir: w.stateDir, stateId, clock: systemClock, cutAbandonedHooks: true });
    try {
      return await executor.adopt([]);
    } finally {
      await executor.close();
    }
  };
  try {
    assert.equal((await adopt()).cutHooks, undefined, 'no record: /proc is not searched');
    assert.ok(alive(pid));
    writeFileSync(join(w.stateDir, 'run', '1-1.hook'), '');
    assert.deepEqual((await adopt()).cutHooks?.map((h) => h.pid), [pid], 'a record left: the hook is found and cut');
    await waitFor('the stray is killed', () => !alive(pid), 5_000);
    assert.deepEqual(hookRecords(w), []);
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

function hookRecords(w: World): string[] {
  return readdirSync(join(w.stateDir, 'run')).filter((name) => name.endsWith('.hook'));
}
