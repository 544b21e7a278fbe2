/**
 * Revisions on real processes under `tend up`: while a rollout is held (the new revision adds a
 * readiness probe that never passes, maxUnavailable 1), the old instance that keeps serving is
 * limited and alerted by the revision it was started with, not by the lower limit and threshold
 * of the new one (which does hold the new instance to them), and an old instance that crashes is
 * judged by its own revision's restart policy and backoff and restarts as that revision; `tend
 * stop` stops each instance with the stop signal of the revision it runs.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { alive, createWorld, FIXTURES, itemOf, processManifest, waitFor, type World } from './harness.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

const MiB = 1024 * 1024;
const NODE = ['apiVersion: tend/v1', 'kind: Node', 'metadata: {name: local}', 'spec:', '  monitor: {interval: 200ms}', ''].join('\n');
const ROLLING = ['replicas: 2', 'updateStrategy: {type: RollingUpdate, maxUnavailable: 1}', 'stop: {gracePeriod: 2s}'];
const command = (...argv: string[]): string => `command: ${JSON.stringify(argv)}`;
const neverReady = (w: World): string => `probes: {readiness: {exec: ${JSON.stringify([process.execPath, join(FIXTURES, 'check-file.js'), join(w.root, 'never-ok')])}, period: 100ms, failureThreshold: 1}}`;

interface EventLine {
  readonly object: string;
  readonly instance?: string;
  readonly reason: string;
  readonly message: string;
}

interface InstanceView {
  readonly id: string;
  readonly pid: number | null;
  readonly ready: boolean;
  readonly restarts: number;
  readonly usage?: { readonly memory: number };
  readonly limits?: { readonly memory?: { readonly limit: number } };
}

function events(w: World): EventLine[] {
  const r = w.tend('events', '--for', 'process/web', '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as EventLine);
}

const web = (w: World): readonly InstanceView[] => itemOf(w.items(), 'process/web').instances as unknown as InstanceView[];
const slot = (w: World, id: string): InstanceView | undefined => web(w).find((i) => i.id === id);
const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
  } catch {
    return '';
  }
};

test('a held rollout to a lower memory limit and alert threshold: the old instance keeps running, unalerted, by its own limits', async () => {
  const w = (world = createWorld());
  w.write('node.yaml', NODE);
  const alloc = [process.execPath, join(FIXTURES, 'alloc-memory.js'), '40'];
  w.write('web.yaml', processManifest('web', command(...alloc), ...ROLLING, 'resources: {limits: {memory: 400Mi}, onExceed: kill, enforce: monitor}', 'alerts: {warnAt: 0.9}'));
  await w.up();
  await waitFor('two sampled old instances', () => web(w).length === 2 && web(w).every((i) => i.pid !== null && (i.usage?.memory ?? 0) > 40 * MiB), 30_000);
  const oldPids = web(w).map((i) => i.pid ?? 0);
  // The new revision: the same program at a limit the old instances are far above, with a lower
  // threshold, a readiness probe that never passes (the rollout holds), onExceed kill.
  w.write('web.yaml', processManifest('web', command(...alloc, 'v2'), ...ROLLING, neverReady(w), 'resources: {limits: {memory: 20Mi}, onExceed: kill, enforce: monitor}', 'alerts: {warnAt: 0.5}'));
  await waitFor('the new instance to be killed for the new limit', () => events(w).some((e) => e.instance === 'web-0' && e.reason === 'ResourceExhaustion' && /limit 20 MiB/.test(e.message)), 30_000);
  // Every sampling pass judges every limited instance, so the pass that killed web-0 judged web-1
  // too; a few more passes (200 ms each) must change nothing for it.
  const until = Date.now() + 2000;
  await waitFor('ten more sampling intervals', () => {
    assert.ok(alive(oldPids[1] ?? 0), `the old web-1 (pid ${oldPids[1]}) keeps running`);
    return Date.now() > until;
  }, 10_000);
  assert.ok(!alive(oldPids[0] ?? 0), 'the rollout did replace web-0');
  const aboutOld = events(w).filter((e) => e.instance === 'web-1' && ['MemoryHigh', 'ResourceExhaustion', 'AlertResolved'].includes(e.reason));
  assert.deepEqual(aboutOld, [], 'no alert and no limit action for the old instance');
  const status = itemOf(w.items(), 'process/web').status as unknown as { alerts?: { instance: string }[] };
  assert.deepEqual((status.alerts ?? []).filter((a) => a.instance === 'web-1'), []);
  const old = slot(w, 'web-1');
  assert.equal(old?.pid, oldPids[1]);
  assert.equal(old?.limits?.memory?.limit, 400 * MiB, 'get shows the limit of the revision it runs');
});

test('an old instance that crashes while the rollout is held restarts as its own revision, by its own policy', async () => {
  const w = (world = createWorld());
  // Each instance runs until a file named after it appears, then exits 3.
  const program = (version: string): string => command('sh', '-c', `: ${version}; f=${w.root}/crash-$TEND_INSTANCE; while [ ! -f "$f" ]; do sleep 0.05; done; rm -f "$f"; exit 3`);
  w.write('web.yaml', processManifest('web', program('v1'), ...ROLLING, 'restartPolicy: Always', 'backoff: {initialDelay: 300ms, maxDelay: 300ms}'));
  await w.up();
  await waitFor('two old instances ready', () => itemOf(w.items(), 'process/web').status.readyReplicas === 2, 30_000);
  const oldPids = web(w).map((i) => i.pid ?? 0);
  // The new revision would never restart anything and never becomes Ready.
  w.write('web.yaml', processManifest('web', program('v2'), ...ROLLING, 'restartPolicy: Never', neverReady(w)));
  await waitFor('the new revision in web-0', () => cmdline(slot(w, 'web-0')?.pid ?? 0).includes(': v2;'), 30_000);
  assert.equal(slot(w, 'web-1')?.pid, oldPids[1], 'the rollout is held: web-1 still runs the old revision');
  writeFileSync(join(w.root, 'crash-web-1'), '');
  await waitFor('web-1 to restart', () => {
    const pid = slot(w, 'web-1')?.pid ?? null;
    return pid !== null && pid !== oldPids[1];
  }, 30_000);
  const restarted = slot(w, 'web-1');
  assert.match(cmdline(restarted?.pid ?? 0), /: v1;/, 'restarted as the revision it ran');
  assert.equal(restarted?.restarts, 1, 'a counted restart of its own policy');
  assert.match(cmdline(slot(w, 'web-0')?.pid ?? 0), /: v2;/, 'the new revision still waits in web-0');
  const told = events(w);
  assert.ok(told.some((e) => e.reason === 'Exited' && e.message.includes(`pid ${oldPids[1]}`)), 'the crash is told');
  assert.ok(told.some((e) => e.instance === 'web-1' && e.reason === 'Started' && /own revision/.test(e.message)), JSON.stringify(told.map((e) => e.message)));
});

test('tend stop during a held rollout: the old instance gets its own revision\'s stop signal, the new one the new', async () => {
  const w = (world = createWorld());
  // Each instance writes the signal it was stopped with to a file named after it, then exits.
  const program = (version: string): string => command('sh', '-c', `: ${version}; f=${w.root}/got-$TEND_INSTANCE; trap 'echo USR1 > "$f"; exit 0' USR1; trap 'echo USR2 > "$f"; exit 0' USR2; while :; do sleep 0.05; done`);
  w.write('web.yaml', processManifest('web', program('v1'), 'replicas: 2', 'updateStrategy: {type: RollingUpdate, maxUnavailable: 1}', 'stop: {signal: SIGUSR1, gracePeriod: 10s}'));
  await w.up();
  await waitFor('two old instances ready', () => itemOf(w.items(), 'process/web').status.readyReplicas === 2, 30_000);
  const oldPids = web(w).map((i) => i.pid ?? 0);
  w.write('web.yaml', processManifest('web', program('v2'), 'replicas: 2', 'updateStrategy: {type: RollingUpdate, maxUnavailable: 1}', 'stop: {signal: SIGUSR2, gracePeriod: 10s}', neverReady(w)));
  await waitFor('the new revision in web-0', () => cmdline(slot(w, 'web-0')?.pid ?? 0).includes(': v2;'), 30_000);
  assert.equal(slot(w, 'web-1')?.pid, oldPids[1], 'the rollout is held: web-1 still runs the old revision');
  const got = (id: string): string => {
    try {
      return readFileSync(join(w.root, `got-${id}`), 'utf8').trim();
    } catch {
      return '';
    }
  };
  assert.equal(got('web-0'), 'USR1', 'the rollout stopped the old web-0 as the old revision says');
  const stopped = w.tend('stop', 'process/web');
  assert.equal(stopped.code, 0, stopped.stderr);
  await waitFor('both stopped', () => got('web-0') === 'USR2' && got('web-1') !== '', 30_000);
  assert.equal(got('web-1'), 'USR1', 'the old instance stops with its own revision\'s signal');
});
