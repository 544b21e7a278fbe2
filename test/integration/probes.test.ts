/**
 * Probes on real programs through `tend up`: an HTTP server whose health a file flips, a TCP
 * listener, an exec check reading a file. Each probe kind passes and fails; liveness restarts;
 * readiness gates READY and a rolling update; startup gates liveness; startupTimeout kills.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { FIXTURES, createWorld, itemOf, processManifest, waitFor, type Item, type World } from './harness.ts';

interface ProbedInstance {
  id: string;
  pid: number | null;
  phase: string;
  ready: boolean;
  restarts: number;
  lastExit: { reason: string } | null;
  probes?: Record<string, { ok: boolean; message: string; failures: number }>;
}

let world: World;
const node = JSON.stringify(process.execPath);
const fixture = (name: string): string => JSON.stringify(join(FIXTURES, name));
const FAST = 'period: 200ms, timeout: 500ms';
// A check that starts node: on a busy machine that alone can take over 500 ms, which would be a
// failure by timeout, not by what the file says.
const FAST_NODE = 'period: 200ms, timeout: 5s';

const instancesOf = (key: string): ProbedInstance[] => itemOf(world.items(), key).instances as unknown as ProbedInstance[];
const itemFor = (key: string): Item => itemOf(world.items(), key);
const flag = (name: string, value: string): void => writeFileSync(join(world.root, name), value);
const flagPath = (name: string): string => JSON.stringify(join(world.root, name));

// A port nothing listens on right now.
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let httpPort = 0;
let tcpPort = 0;
let closedPort = 0;

before(async () => {
  world = createWorld();
  [httpPort, tcpPort, closedPort] = [await freePort(), await freePort(), await freePort()];
  flag('http', 'ok');
  flag('exec', 'ok');
  const sleep = `command: [${node}, ${fixture('sleep-forever.js')}]`;
  world.write('http.yaml', processManifest('http', `command: [${node}, ${fixture('health-server.js')}, "${httpPort}", ${flagPath('http')}]`,
    `probes: {readiness: {http: {url: "http://127.0.0.1:${httpPort}/healthz"}, ${FAST}, failureThreshold: 1}}`));
  world.write('tcp.yaml', processManifest('tcp', `command: [${node}, ${fixture('tcp-listen.js')}, "${tcpPort}"]`, `probes: {readiness: {tcp: {port: ${tcpPort}}, ${FAST}}}`));
  world.write('tcp-closed.yaml', processManifest('tcp-closed', sleep, `probes: {readiness: {tcp: {port: ${closedPort}}, ${FAST}}}`));
  world.write('exec.yaml', processManifest('exec', sleep, 'backoff: {initialDelay: 100ms, jitter: 0}',
    `probes: {liveness: {exec: [${node}, ${fixture('check-file.js')}, ${flagPath('exec')}], ${FAST_NODE}, failureThreshold: 2}}`));
  world.write('gated.yaml', processManifest('gated', sleep, 'backoff: {initialDelay: 100ms, jitter: 0}', 'probes:',
    `  startup: {exec: [${node}, ${fixture('check-file.js')}, ${flagPath('started')}], ${FAST_NODE}}`,
    `  liveness: {exec: ["false"], ${FAST}, failureThreshold: 1}`));
  world.write('hung.yaml', processManifest('hung', sleep, `probes: {readiness: {exec: ["sh", "-c", ${hungCheck()}], period: 200ms, timeout: 300ms}}`));
  world.write('slow.yaml', processManifest('slow', sleep, 'restartPolicy: Never', 'startupTimeout: 1s', `probes: {startup: {exec: ["false"], ${FAST}}}`));
  await world.up();
});

after(() => world.cleanup());

test('http readiness: READY while the server says 2xx, not ready on 500', async () => {
  await waitFor('http ready', () => itemFor('process/http').status.readyReplicas === 1);
  assert.equal(instancesOf('process/http')[0]?.probes?.readiness?.ok, true);
  flag('http', 'bad');
  await waitFor('http not ready', () => itemFor('process/http').status.readyReplicas === 0);
  const instance = instancesOf('process/http')[0];
  assert.equal(instance?.ready, false);
  assert.match(instance?.probes?.readiness?.message ?? '', /HTTP 500/);
  assert.equal(instance?.restarts, 0, 'readiness never restarts');
  const events = world.tend('events', '-o', 'json', '--for', 'process/http').stdout;
  assert.match(events, /"reason":"NotReady"/);
  assert.match(events, /"reason":"Unhealthy"/);
});

test('tcp readiness: a listener is ready, a closed port is not', async () => {
  await waitFor('tcp ready', () => itemFor('process/tcp').status.readyReplicas === 1);
  await waitFor('closed port probed', () => instancesOf('process/tcp-closed')[0]?.probes?.readiness?.ok === false);
  const item = itemFor('process/tcp-closed');
  assert.equal(item.status.readyReplicas, 0);
  assert.equal(item.status.phase, 'Progressing');
});

test('exec liveness: passes while the file says ok, a failure restarts (LivenessFailure)', async () => {
  await waitFor('exec probed', () => instancesOf('process/exec')[0]?.probes?.liveness?.ok === true);
  assert.equal(instancesOf('process/exec')[0]?.restarts, 0);
  flag('exec', 'bad');
  await waitFor('exec restarted', () => (instancesOf('process/exec')[0]?.restarts ?? 0) >= 1);
  flag('exec', 'ok');
  assert.equal(instancesOf('process/exec')[0]?.lastExit?.reason, 'LivenessFailure');
  assert.match(world.tend('describe', 'process/exec').stdout, /Probes:[\s\S]*liveness/);
});

test('startup gates liveness: Starting and unrestarted until the startup probe passes', async () => {
  await waitFor('gated probed', () => instancesOf('process/gated')[0]?.probes?.startup !== undefined);
  const before = Date.now();
  await waitFor('a few startup failures', () => (instancesOf('process/gated')[0]?.probes?.startup?.failures ?? 0) >= 3 && Date.now() - before > 600);
  const instance = instancesOf('process/gated')[0];
  assert.equal(instance?.phase, 'Starting');
  assert.equal(instance?.restarts, 0);
  assert.equal(instance?.probes?.liveness, undefined, 'liveness has not run');
  flag('started', 'ok');
  await waitFor('gated restarted by liveness', () => (instancesOf('process/gated')[0]?.restarts ?? 0) >= 1);
});

// A check that hangs for 5 s; its shell's command line names this world, so only its own count.
function hungCheck(): string {
  return JSON.stringify(`sleep 5; : ${hungToken()}`);
}

function hungToken(): string {
  return `hung-${basename(world.root)}`;
}

// Processes whose command line holds `text`.
function processesWith(text: string): number {
  let count = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(text)) count++;
    } catch {
      // Gone meanwhile.
    }
  }
  return count;
}

test('a hung exec probe fails at its timeout and is killed', async () => {
  await waitFor('hung probe timed out 3 times', () => (instancesOf('process/hung')[0]?.probes?.readiness?.failures ?? 0) >= 3);
  assert.match(instancesOf('process/hung')[0]?.probes?.readiness?.message ?? '', /timed out after 300ms/);
  // Three checks have timed out; left alive they would all still sleep. One may be starting or dying.
  assert.ok(processesWith(hungToken()) < 3, 'timed-out checks do not pile up');
});

test('startupTimeout stops an instance that never starts (StartupTimeout, then its policy)', async () => {
  await waitFor('slow failed', () => instancesOf('process/slow')[0]?.phase === 'Failed');
  const instance = instancesOf('process/slow')[0];
  assert.equal(instance?.lastExit?.reason, 'StartupTimeout');
  assert.equal(instance?.pid, null);
});

test('a rolling update whose new revision never becomes ready keeps the old instance serving', async () => {
  const readiness = `probes: {readiness: {exec: ["sh", "-c", "test \\"$V\\" = 1"], ${FAST}}}`;
  const manifest = (v: string): string => processManifest('roll', `command: [${node}, ${fixture('sleep-forever.js')}]`, 'replicas: 2', `env: {V: "${v}"}`, readiness);
  world.write('roll.yaml', manifest('1'));
  await waitFor('roll ready', () => itemFor('process/roll').status.readyReplicas === 2);
  const slot = (id: string): ProbedInstance | undefined => instancesOf('process/roll').find((i) => i.id === id);
  const [oldPid0, oldPid] = [slot('roll-0')?.pid, slot('roll-1')?.pid];
  world.write('roll.yaml', manifest('2'));
  await waitFor('roll-0 replaced', () => slot('roll-0')?.pid !== oldPid0 && slot('roll-0')?.probes?.readiness?.ok === false && slot('roll-0')?.phase === 'Running');
  const startedWaiting = Date.now();
  await waitFor('the rollout to hold for 1.5 s', () => Date.now() - startedWaiting > 1500);
  assert.equal(slot('roll-0')?.ready, false);
  assert.equal(slot('roll-1')?.pid, oldPid, 'the old instance still runs');
  assert.equal(slot('roll-1')?.ready, true, 'and passes the probe it was started with');
  assert.equal(itemFor('process/roll').status.readyReplicas, 0, 'no instance of the new revision is ready');
  assert.equal(itemFor('process/roll').status.phase, 'Progressing');
});

test('maxSurge: the new instance starts beside the old one, which stops only once the new one is Ready', async () => {
  const readiness = `probes: {readiness: {exec: ["sh", "-c", "test -f \\"$READY_FILE\\""], ${FAST}}}`;
  const manifest = (v: string): string => processManifest('surge', `command: [${node}, ${fixture('sleep-forever.js')}]`,
    'updateStrategy: {type: RollingUpdate, maxUnavailable: 0, maxSurge: 1}', `env: {READY_FILE: ${flagPath(`ready-${v}`)}}`, readiness);
  flag('ready-1', '');
  world.write('surge.yaml', manifest('1'));
  await waitFor('surge ready', () => itemFor('process/surge').status.readyReplicas === 1);
  const oldPid = instancesOf('process/surge')[0]?.pid ?? 0;
  world.write('surge.yaml', manifest('2'));
  await waitFor('the new instance runs beside the old one', () => instancesOf('process/surge').some((i) => i.id === 'surge-0.1' && i.pid !== null && i.phase === 'Running'));
  const startedWaiting = Date.now();
  await waitFor('the old one to keep serving for 1 s', () => Date.now() - startedWaiting > 1000);
  const old = instancesOf('process/surge').find((i) => i.id === 'surge-0');
  assert.equal(old?.pid, oldPid, 'the old instance still runs');
  assert.ok(old?.ready, 'and is still Ready');
  flag('ready-2', '');
  await waitFor('the old instance stops once the new one is Ready', () => instancesOf('process/surge').map((i) => i.id).join() === 'surge-0.1');
  assert.equal(itemFor('process/surge').status.readyReplicas, 1);
  assert.equal(readdirSync('/proc').includes(String(oldPid)), false);
});

test('reconcile --once --wait converges on Ready, and fails when readiness never passes', async () => {
  const once = createWorld();
  try {
    const port = await freePort();
    writeFileSync(join(once.root, 'flag'), 'ok');
    once.write('web.yaml', processManifest('web', `command: [${node}, ${fixture('health-server.js')}, "${port}", ${JSON.stringify(join(once.root, 'flag'))}]`,
      `probes: {readiness: {http: {url: "http://127.0.0.1:${port}/"}, period: 100ms, initialDelay: 300ms}}`));
    const ready = once.tend('reconcile', '--once', '--wait', '--timeout', '20s');
    assert.equal(ready.code, 0, ready.stderr);
    assert.match(ready.stderr, /process\/web 0\/1/);
    assert.match(ready.stderr, /process\/web 1\/1 Running/);
    once.write('never.yaml', processManifest('never', `command: [${node}, ${fixture('sleep-forever.js')}]`, `probes: {readiness: {exec: ["false"], period: 100ms}}`));
    const never = once.tend('reconcile', '--once', '--wait', '--timeout', '2s');
    assert.equal(never.code, 1);
    assert.match(never.stderr, /not converged[^\n]*process\/never 0\/1/);
  } finally {
    await once.cleanup();
  }
});
