/**
 * Faults (spec §4) on real processes: recycled pids, a corrupt state file, a vanished manifest
 * directory, emptied files, an atomic symlink swap of the directory, and real backoff timing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { alive, createWorld, exited, itemOf, processManifest, waitFor, type World } from './harness.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

const sleeper = (name: string, ...extra: string[]): string => processManifest(name, 'command: ["sleep", "1000"]', ...extra);
const pidOf = (w: World, key: string): number | null => itemOf(w.items(), key).instances[0]?.pid ?? null;

test('a recorded pid now used by another process is never adopted (start times differ)', async (t) => {
  const w = (world = createWorld());
  w.write('web.yaml', sleeper('web'));
  assert.equal(w.tend('reconcile', '--once').code, 0);
  const original = pidOf(w, 'process/web') ?? 0;
  // An unrelated process, and a state file that claims it is web-0 (as after pid reuse).
  const stranger = spawn('sleep', ['1000'], { stdio: 'ignore' });
  t.after(() => stranger.kill('SIGKILL'));
  process.kill(-original, 'SIGKILL');
  await waitFor('web-0 to die', () => !alive(original));
  const statePath = join(w.stateDir, 'state.json');
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as { instances: { pid: number }[] };
  for (const instance of state.instances) instance.pid = stranger.pid ?? 0;
  writeFileSync(statePath, JSON.stringify(state));
  // The record is lost (not adopted), which counts as a failure: the restart waits for its backoff.
  assert.equal(w.tend('reconcile', '--once', '--wait', '--timeout', '30s').code, 0);
  const fresh = pidOf(w, 'process/web');
  assert.ok(fresh !== null && fresh !== stranger.pid && alive(fresh), 'a new instance was started');
  assert.ok(alive(stranger.pid ?? 0), 'the stranger was left alone');
  assert.deepEqual(w.markedPids(), [fresh]);
});

test('a corrupt state file is set aside and the instances are rebuilt from their env marker', () => {
  const w = (world = createWorld());
  w.write('web.yaml', sleeper('web', 'replicas: 2'));
  assert.equal(w.tend('reconcile', '--once').code, 0);
  const pids = w.markedPids().sort();
  writeFileSync(join(w.stateDir, 'state.json'), '{"version": 1, "instan');
  const r = w.tend('reconcile', '--once');
  assert.equal(r.code, 0);
  assert.match(r.stderr, /state file was corrupt/);
  assert.deepEqual(w.markedPids().sort(), pids, 'adopted by marker, nothing duplicated');
});

test('a vanished manifest directory prunes nothing; it coming back applies again', async () => {
  const w = (world = createWorld());
  w.write('web.yaml', sleeper('web'));
  await w.up();
  await waitFor('web runs', () => pidOf(w, 'process/web') !== null);
  const pid = pidOf(w, 'process/web') ?? 0;
  renameSync(w.dir, `${w.dir}.away`);
  assert.equal(w.tend('reconcile', '--once').code, 2, 'the pass reports the unreadable directory');
  // Let more than the prune grace pass; a prune would have to happen now.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(w.tend('reconcile', '--once').code, 2);
  assert.ok(alive(pid), 'web was not pruned while the directory was missing');
  renameSync(`${w.dir}.away`, w.dir);
  assert.equal(w.tend('reconcile', '--once').code, 0);
  assert.ok(alive(pid));
});

test('an emptied file keeps its objects through the grace period, then they are pruned', async () => {
  const w = (world = createWorld());
  w.write('web.yaml', sleeper('web'));
  await w.up();
  await waitFor('web runs', () => pidOf(w, 'process/web') !== null);
  const pid = pidOf(w, 'process/web') ?? 0;
  w.write('web.yaml', '');
  w.write('web.yaml', sleeper('web'));
  assert.equal(w.tend('reconcile', '--once').code, 0);
  assert.ok(alive(pid), 'a file emptied and rewritten at once restarts nothing');
  w.write('web.yaml', '# nothing here any more\n');
  await waitFor('web to be pruned', () => !alive(pid) && !w.items().some((i) => i.key === 'process/web'));
});

test('an atomic symlink swap of the manifest directory applies the new revision as one change', async () => {
  const w = (world = createWorld());
  const revs = join(w.root, 'revs');
  for (const [rev, mode] of [['r1', 'one'], ['r2', 'two']] as const) {
    mkdirSync(join(revs, rev), { recursive: true });
    writeFileSync(join(revs, rev, 'a.yaml'), sleeper('a', `env: {REV: ${mode}}`));
    writeFileSync(join(revs, rev, 'b.yaml'), sleeper('b', `env: {REV: ${mode}}`));
  }
  rmSync(w.dir, { recursive: true });
  symlinkSync(join(revs, 'r1'), w.dir);
  await w.up();
  await waitFor('r1 runs', () => pidOf(w, 'process/a') !== null && pidOf(w, 'process/b') !== null);
  const before = [pidOf(w, 'process/a'), pidOf(w, 'process/b')] as number[];
  const revision = itemOf(w.items(), 'process/a').revision;
  symlinkSync(join(revs, 'r2'), `${w.dir}.new`);
  renameSync(`${w.dir}.new`, w.dir);
  await waitFor('r2 runs', () => {
    const items = w.items();
    return items.every((i) => i.revision !== revision) && items.every((i) => i.instances[0]?.pid != null && !before.includes(i.instances[0].pid));
  });
  for (const key of ['process/a', 'process/b']) {
    const item = itemOf(w.items(), key);
    assert.equal(item.generation, 2, `${key} changed once`);
    assert.ok(readFileSync(`/proc/${item.instances[0]?.pid ?? 0}/environ`, 'latin1').includes('REV=two'));
  }
});

test('restarts wait for their backoff delay', async () => {
  const w = (world = createWorld());
  w.write('crash.yaml', processManifest('crash', 'command: ["sh", "-c", "exit 1"]', 'backoff: {strategy: linear, initialDelay: 300ms, jitter: 0}'));
  const child = await w.up();
  await waitFor('three restarts', () => (itemOf(w.items(), 'process/crash').instances[0]?.restarts ?? 0) >= 3);
  child.kill('SIGTERM');
  await exited(child);
  const events = w
    .tend('events', '-o', 'json')
    .stdout.split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { time: string; reason: string; object: string })
    .filter((e) => e.object === 'process/crash' && (e.reason === 'Exited' || e.reason === 'Started'));
  const gaps: number[] = [];
  for (let i = 1; i < events.length; i++) {
    if (events[i - 1]?.reason === 'Exited' && events[i]?.reason === 'Started') {
      gaps.push(Date.parse(events[i]?.time ?? '') - Date.parse(events[i - 1]?.time ?? ''));
    }
  }
  assert.ok(gaps.length >= 3, `saw ${gaps.length} restarts`);
  // Linear: 300 ms, 600 ms, 900 ms (±timer slack, never early).
  for (const [i, gap] of gaps.slice(0, 3).entries()) assert.ok(gap >= 300 * (i + 1) - 5, `restart ${i + 1} came after ${gap} ms`);
});
