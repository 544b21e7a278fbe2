/**
 * Resource limits on real programs through `tend up`, sampling every 200 ms: a memory limit the
 * monitor enforces (graceful restart), one the kernel enforces in a cgroup (OOM kill recorded as
 * ResourceExhaustion, then a restart), fds held by RLIMIT_NOFILE, a CPU spinner under
 * `onExceed: alert` raising alerts that resolve once it idles, without flapping, and
 * `onExceed: kill` leaving the instance Failed. Every check polls with a deadline.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stateIdOf } from '../../src/platform/state-dir.ts';
import { createWorld, FIXTURES, itemOf, processManifest, waitFor, type World } from './harness.ts';

interface Failure { type: string; message: string | null; signal: string | null }
interface LimitView { limit: number; enforcement: string }
interface Instance { id: string; pid: number | null; phase: string; reason: string; restarts: number; limits?: Record<string, LimitView> }
interface Status { phase: string; failures: Failure[]; alerts: { resource: string; severity: string }[] }
interface Event { object: string; reason: string; severity?: string; message: string }

const MiB = 1024 * 1024;
let world: World;

// Whether this host lets tend (this test's user, in this test's memory cgroup) create cgroups.
function cgroupsWritable(): boolean {
  const own = /^\d+:memory:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  if (own === undefined) return false;
  const probe = join('/sys/fs/cgroup/memory', own, `tend-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

const node = (script: string, ...args: string[]): string => `command: ${JSON.stringify(['node', join(FIXTURES, script), ...args])}`;
const FAST = 'backoff: {initialDelay: 100ms, maxDelay: 100ms}';

before(async () => {
  world = createWorld();
  world.write('node.yaml', ['apiVersion: tend/v1', 'kind: Node', 'metadata: {name: local}', 'spec:', '  monitor: {interval: 200ms}', ''].join('\n'));
  world.write('mem-monitor.yaml', processManifest('mem-monitor', node('alloc-memory.js', '160'), FAST, 'resources: {limits: {memory: 80Mi}, onExceed: restart, enforce: monitor}'));
  world.write('mem-kernel.yaml', processManifest('mem-kernel', node('alloc-memory.js', '160'), FAST, 'resources: {limits: {memory: 80Mi}}'));
  world.write('fds.yaml', processManifest('fds', node('open-until-full.js'), 'resources: {limits: {fds: 40}, onExceed: alert}'));
  // Far below what a spinning core gets even on a busy machine, so the alert is held by
  // hysteresis, not by luck; no CPU quota, so the spinner is not held at the limit either.
  world.write('spin.yaml', processManifest('spin', node('spin-for.js', '3000'), 'resources: {limits: {cpu: 100m}, onExceed: alert, enforce: monitor}', 'alerts: {warnAt: 0.5}'));
  world.write('threads.yaml', processManifest('threads', node('start-threads.js', '2'), 'resources: {limits: {threads: 64, cpu: 500m}, onExceed: alert}'));
  world.write('killed.yaml', processManifest('killed', node('alloc-memory.js', '160'), FAST, 'resources: {limits: {memory: 80Mi}, onExceed: kill, enforce: monitor}'));
  await world.up();
});

after(async () => {
  await world.cleanup();
  const stateId = stateIdOf(world.stateDir);
  await waitFor('the test\'s cgroups to be removed', () => removeCgroups(stateId));
});

// tend removes an instance's cgroup when it sees the exit; the controller this test SIGKILLs at
// the end sees none, so the cgroups of its last instances are removed here, once their killed
// processes have been reaped (until then rmdir says EBUSY). True when none is left.
function removeCgroups(stateId: string): boolean {
  const folder = `tend-${stateId.slice(0, 16)}`;
  let left = false;
  for (const controller of ['memory', 'cpu', 'pids']) {
    const parent = join('/sys/fs/cgroup', controller, ownCgroup(process.pid, controller) ?? '/', folder);
    if (!existsSync(parent)) continue;
    const children = readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory());
    for (const child of [...children.map((e) => join(parent, e.name)), parent]) left = !removed(child) || left;
  }
  return !left;
}

function removed(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

function status(key: string): Status {
  return itemOf(world.items(), key).status as unknown as Status;
}

function instance(key: string): Instance {
  const found = itemOf(world.items(), key).instances[0] as unknown as Instance | undefined;
  if (!found) throw new Error(`${key} has no instance`);
  return found;
}

function events(key: string): Event[] {
  const r = world.tend('events', '--for', key, '-o', 'json');
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);
}

test('a memory limit the monitor enforces: ResourceExhaustion with the figure, then a restart', async () => {
  await waitFor('a ResourceExhaustion failure and a restart', () => status('process/mem-monitor').failures.length > 0 && instance('process/mem-monitor').restarts >= 1, 20_000);
  const [failure] = status('process/mem-monitor').failures;
  assert.equal(failure?.type, 'ResourceExhaustion');
  assert.match(failure?.message ?? '', /^memory \d+(\.\d+)? MiB > limit 80 MiB/);
  assert.equal(failure?.signal, 'SIGTERM', 'a graceful stop, not an OOM kill');
  assert.ok(events('process/mem-monitor').some((e) => e.reason === 'ResourceExhaustion' && /restarting it/.test(e.message)), 'a ResourceExhaustion event');
  await waitFor('a running instance shows its limits', () => instance('process/mem-monitor').limits?.memory?.enforcement === 'monitor');
});

test('a memory limit the kernel enforces in a cgroup: the OOM kill is a ResourceExhaustion, then a restart', async (t) => {
  if (!cgroupsWritable()) return t.skip('this host does not let tend create memory cgroups (needs root and a writable cgroup hierarchy)');
  await waitFor('an OOM-kill failure and a restart', () => status('process/mem-kernel').failures.length > 0 && instance('process/mem-kernel').restarts >= 1, 20_000);
  const [failure] = status('process/mem-kernel').failures;
  assert.deepEqual([failure?.type, failure?.signal, failure?.message], ['ResourceExhaustion', 'SIGKILL', 'killed by the kernel OOM killer (memory limit 80 MiB)']);
  // The program is OOM-killed again and again, so catch a live instance and its cgroup in one go.
  await waitFor('a live instance in a cgroup of 80 MiB', () => {
    const view = instance('process/mem-kernel');
    return view.limits?.memory?.enforcement === 'cgroup' && memoryLimitOf(view.pid ?? 0) === String(80 * MiB);
  });
});

test('an fds limit is RLIMIT_NOFILE: the program cannot open more', async () => {
  await waitFor('the program filled its table', () => instance('process/fds').pid !== null && /opened \d+ files/.test(logOf('fds-0')));
  const pid = instance('process/fds').pid ?? 0;
  assert.match(readFileSync(`/proc/${pid}/limits`, 'utf8'), /^Max open files\s+40\s+40\s+files/m);
  const opened = Number(/opened (\d+) files, then EMFILE/.exec(logOf('fds-0'))?.[1]);
  assert.ok(opened > 0 && opened < 40, `opened ${opened}: ${logOf('fds-0')}`);
  assert.ok(readdirSync(`/proc/${pid}/fd`).every((fd) => Number(fd) < 40 || inheritedByTest(Number(fd))), 'no fd number at or above the limit');
  assert.equal(instance('process/fds').limits?.fds?.enforcement, 'rlimit');
});

test('a CPU spinner under onExceed alert: alerts while it spins, resolved once it idles, no flapping', async () => {
  await waitFor('an alert is raised', () => events('process/spin').some((e) => e.reason === 'CpuHigh'), 15_000);
  await waitFor('the alert is resolved', () => events('process/spin').some((e) => e.reason === 'AlertResolved'), 15_000);
  const alerts = events('process/spin').filter((e) => e.reason === 'CpuHigh' || e.reason === 'AlertResolved');
  const raised = alerts.filter((e) => e.reason !== 'AlertResolved');
  assert.ok(raised.every((e) => e.reason === 'CpuHigh' && (e.severity === 'warning' || e.severity === 'critical')), JSON.stringify(alerts));
  assert.ok(raised.filter((e) => e.severity === 'warning').length <= 1, JSON.stringify(alerts));
  assert.ok(raised.filter((e) => e.severity === 'critical').length <= 1, JSON.stringify(alerts));
  assert.equal(alerts.filter((e) => e.reason === 'AlertResolved').length, 1, JSON.stringify(alerts));
  assert.equal(instance('process/spin').restarts, 0, 'alert only: never restarted');
  assert.deepEqual(status('process/spin').alerts, []);
});

test('cpu and threads limits are a CPU quota and a task limit in the instance\'s cgroups', async (t) => {
  if (!cgroupsWritable()) return t.skip('this host does not let tend create cgroups (needs root and a writable cgroup hierarchy)');
  await waitFor('the program runs', () => instance('process/threads').pid !== null);
  const { pid, limits } = instance('process/threads');
  assert.equal(cgroupFile(pid ?? 0, 'cpu', 'cpu.cfs_quota_us'), '50000');
  assert.equal(cgroupFile(pid ?? 0, 'pids', 'pids.max'), '64');
  assert.ok(Number(cgroupFile(pid ?? 0, 'pids', 'pids.current')) >= 3, 'the program and its threads are in it');
  assert.deepEqual([limits?.cpu?.enforcement, limits?.threads?.enforcement], ['cgroup', 'cgroup']);
});

test('onExceed kill: the instance is killed, recorded, and stays Failed', async () => {
  await waitFor('Failed for ResourceKill', () => instance('process/killed').phase === 'Failed', 20_000);
  const view = instance('process/killed');
  assert.deepEqual([view.reason, view.pid, view.restarts], ['ResourceKill', null, 0]);
  const [failure] = status('process/killed').failures;
  assert.deepEqual([failure?.type, failure?.signal], ['ResourceExhaustion', 'SIGKILL']);
  const diff = world.tend('diff');
  assert.doesNotMatch(diff.stdout + diff.stderr, /killed-0/, 'nothing is planned for it');
  assert.equal(instance('process/killed').phase, 'Failed');
});

test('describe shows use vs limit with the enforcement; the API lists open alerts; /metrics carries limits', async () => {
  const text = world.tend('describe', 'process/fds').stdout;
  assert.match(text, /^Limits:\n\s+INSTANCE\s+RESOURCE\s+USE\s+LIMIT\s+ENFORCED BY\n\s+fds-0\s+fds\s+\d+\s+40\s+rlimit \(RLIMIT_NOFILE\)$/m);
  const alerts = JSON.parse(await api('/v1/alerts')) as { items: unknown[] };
  assert.ok(Array.isArray(alerts.items));
  const metrics = await api('/metrics');
  assert.match(metrics, /^tend_instance_limit\{kind="Process",name="fds",instance="fds-0",resource="fds",enforcement="rlimit"\} 40$/m);
  assert.match(metrics, /^# TYPE tend_instance_alert gauge$/m);
});

// memory.limit_in_bytes of the memory cgroup `pid` is in; undefined once it is gone.
function memoryLimitOf(pid: number): string | undefined {
  return cgroupFile(pid, 'memory', 'memory.limit_in_bytes');
}

// A control file of the cgroup v1 `controller` hierarchy that `pid` is in; undefined once it is gone.
function cgroupFile(pid: number, controller: string, file: string): string | undefined {
  try {
    return readFileSync(join('/sys/fs/cgroup', controller, ownCgroup(pid, controller) ?? '', file), 'utf8').trim();
  } catch {
    return undefined;
  }
}

// The path of `pid`'s cgroup in the v1 `controller` hierarchy.
function ownCgroup(pid: number, controller: string): string | undefined {
  try {
    return new RegExp(`^\\d+:[^:]*\\b${controller}\\b[^:]*:(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

// An fd this test process itself was started with (not close-on-exec) is inherited by every child.
function inheritedByTest(fd: number): boolean {
  return readdirSync('/proc/self/fd').includes(String(fd));
}

function logOf(instanceId: string): string {
  try {
    return readFileSync(join(world.stateDir, 'logs', `${instanceId}.out.log`), 'utf8');
  } catch {
    return '';
  }
}

function api(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(world.stateDir, 'tend.sock'), path }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}
