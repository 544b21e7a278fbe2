/**
 * Edits while `tend up` runs: scaling, program and label changes, broken files, and the
 * controller's own start, kill and stop. Each test has its own world and checks /proc.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { join } from 'node:path';
import { alive, createWorld, exited, FIXTURES, groupMembers, itemOf, processManifest, stderrOf, waitFor, type World } from './harness.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

const sleeper = (name: string, ...extra: string[]): string => processManifest(name, 'command: ["sleep", "1000"]', ...extra);
const pidsOf = (w: World, key: string): (number | null)[] => itemOf(w.items(), key).instances.map((i) => i.pid);
const running = (w: World, key: string, n: number): boolean => {
  const pids = pidsOf(w, key);
  return pids.length === n && pids.every((p) => p !== null && alive(p));
};

test('replicas scale up and down, highest index first, leaving the others alone', async () => {
  const w = (world = createWorld());
  w.write('web.yaml', sleeper('web', 'replicas: 3'));
  await w.up();
  await waitFor('3 replicas', () => running(w, 'process/web', 3));
  const [first, second, third] = pidsOf(w, 'process/web') as number[];
  w.write('web.yaml', sleeper('web', 'replicas: 1'));
  await waitFor('scale down to 1', () => !alive(second ?? 0) && !alive(third ?? 0) && pidsOf(w, 'process/web').length === 1);
  assert.deepEqual(pidsOf(w, 'process/web'), [first]);
  w.write('web.yaml', sleeper('web', 'replicas: 2'));
  await waitFor('scale up to 2', () => running(w, 'process/web', 2));
  assert.equal(pidsOf(w, 'process/web')[0], first);
  assert.deepEqual(w.markedPids().sort(), (pidsOf(w, 'process/web') as number[]).sort(), 'no stray process');
});

test('a program change restarts the instance; a label change does not', async () => {
  const w = (world = createWorld());
  w.write('web.yaml', sleeper('web', 'env: {MODE: a}'));
  await w.up();
  await waitFor('web runs', () => running(w, 'process/web', 1));
  const [before] = pidsOf(w, 'process/web') as number[];
  w.write('web.yaml', ['# relabelled', sleeper('web', 'env: {MODE: a}').replace('metadata: {name: web}', 'metadata: {name: web, labels: {team: x}}')].join('\n'));
  await waitFor('the new generation', () => itemOf(w.items(), 'process/web').generation === 2);
  assert.deepEqual(pidsOf(w, 'process/web'), [before], 'labels restart nothing');
  w.write('web.yaml', sleeper('web', 'env: {MODE: b}'));
  await waitFor('restart with the new env', () => {
    const [pid] = pidsOf(w, 'process/web');
    return pid !== null && pid !== undefined && pid !== before && alive(pid);
  });
  assert.equal(alive(before ?? 0), false);
  const [after] = pidsOf(w, 'process/web') as number[];
  const { readFileSync } = await import('node:fs');
  assert.ok(readFileSync(`/proc/${after}/environ`, 'latin1').split('\0').includes('MODE=b'));
});

test('a broken file keeps its objects running while other files apply, and is reported with its place', async () => {
  const w = (world = createWorld());
  w.write('web.yaml', sleeper('web'));
  const child = await w.up();
  await waitFor('web runs', () => running(w, 'process/web', 1));
  const [pid] = pidsOf(w, 'process/web');
  w.write('web.yaml', 'apiVersion: tend/v1\nkind: Process\nmetadata: {name: web}\nspec:\n  command: ["sleep", "1000"]\n  restartPolicy: always\n');
  w.write('db.yaml', sleeper('db'));
  await waitFor('db runs', () => running(w, 'process/db', 1));
  await waitFor('the error on stderr', () => stderrOf(child).includes('web.yaml:6:3: spec.restartPolicy'));
  assert.match(stderrOf(child), /did you mean "Always"\?/);
  assert.deepEqual(pidsOf(w, 'process/web'), [pid], 'web keeps its last valid definition');
  const validate = w.tend('validate');
  assert.equal(validate.code, 2);
  assert.match(validate.stderr, /web\.yaml:6:3: spec\.restartPolicy: must be one of/);
});

test('reconcile --once twice starts nothing twice, and the processes outlive it', () => {
  const w = (world = createWorld());
  w.write('web.yaml', sleeper('web', 'replicas: 2'));
  assert.equal(w.tend('reconcile', '--once').code, 0);
  const first = w.markedPids().sort();
  assert.equal(first.length, 2);
  const second = w.tend('reconcile', '--once');
  assert.equal(second.code, 0);
  assert.deepEqual(w.markedPids().sort(), first);
  assert.equal(w.tend('diff').code, 0, 'no drift');
  assert.deepEqual((pidsOf(w, 'process/web') as number[]).sort(), first);
});

test('reconcile --once --wait exits 1 when an object fails for good', () => {
  const w = (world = createWorld());
  w.write('bad.yaml', processManifest('bad', 'command: ["sh", "-c", "exit 3"]', 'restartPolicy: Never'));
  const r = w.tend('reconcile', '--once', '--wait', '--timeout', '20s');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /process\/bad/);
});

test('a controller killed with SIGKILL is replaced by one that adopts its processes, without duplicates', async () => {
  const w = (world = createWorld());
  w.write('web.yaml', sleeper('web', 'replicas: 2'));
  const first = await w.up();
  await waitFor('2 replicas', () => running(w, 'process/web', 2));
  const pids = (pidsOf(w, 'process/web') as number[]).sort();
  first.kill('SIGKILL');
  await exited(first);
  assert.ok(pids.every(alive), 'processes outlive the controller');
  await w.up();
  assert.equal(w.tend('reconcile', '--once').code, 0);
  assert.deepEqual((pidsOf(w, 'process/web') as number[]).sort(), pids);
  assert.deepEqual(w.markedPids().sort(), pids);
  const adopted = w.tend('events', '-o', 'json').stdout.split('\n').filter((l) => l.includes('"Adopted"'));
  assert.equal(adopted.length, 2);
});

test('a second controller on the same state dir is refused', async () => {
  const w = (world = createWorld());
  w.write('web.yaml', sleeper('web'));
  await w.up();
  const second = w.tend('up');
  assert.equal(second.code, 1);
  assert.match(second.stderr, /another controller \(pid \d+\) already manages state dir/);
});

test('SIGTERM stops every managed process group, grandchildren included, then exits 0', async () => {
  const w = (world = createWorld());
  w.write('tree.yaml', processManifest('tree', `command: ["${process.execPath}", "${join(FIXTURES, 'spawn-grandchild.js')}"]`, 'stop: {gracePeriod: 1s}'));
  w.write('web.yaml', sleeper('web', 'replicas: 2'));
  const child = await w.up();
  await waitFor('all running', () => running(w, 'process/web', 2) && running(w, 'process/tree', 1));
  const [leader] = pidsOf(w, 'process/tree') as number[];
  await waitFor('the grandchild', () => groupMembers(leader ?? 0).length === 2);
  const everything = [...groupMembers(leader ?? 0), ...(pidsOf(w, 'process/web') as number[])];
  child.kill('SIGTERM');
  assert.equal(await exited(child), 0);
  assert.deepEqual(everything.filter(alive), [], 'nothing survives');
  assert.deepEqual(w.markedPids(), []);
});

const asRoot = process.getuid?.() === 0;

test('running as root, a program runs as the owner of its manifest file, and never as root for another owner', { skip: asRoot ? false : 'needs root to change users' }, async () => {
  const { chownSync } = await import('node:fs');
  const w = (world = createWorld());
  w.write('mine.yaml', sleeper('mine'));
  w.write('sneaky.yaml', sleeper('sneaky', 'user: root'));
  chownSync(join(w.dir, 'mine.yaml'), 65534, 65534);
  chownSync(join(w.dir, 'sneaky.yaml'), 65534, 65534);
  // sneaky.yaml is an invalid manifest (exit 2): only a root-owned file may name another account.
  assert.equal(w.tend('reconcile', '--once').code, 2);
  const [pid] = pidsOf(w, 'process/mine') as number[];
  const { readFileSync } = await import('node:fs');
  assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^Uid:\s+65534\s/m);
  assert.ok(!w.items().some((i) => i.key === 'process/sneaky'), 'sneaky did not start');
  const events = w.tend('events').stdout;
  assert.match(events, /sneaky\.yaml:\d+:\d+: spec\.user: "root" is uid 0, but this file is owned by uid 65534/);
});
