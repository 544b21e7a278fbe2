/**
 * `dependsOn` on real processes: starts wait for `ready` and `completed`, a failed one-shot holds
 * its dependents as DependencyFailure, a dependency going away leaves dependents running, and
 * shutdown and prune stop dependents before what they depend on.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { alive, createWorld, exited, itemOf, processManifest, waitFor, type World } from './harness.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

interface DepItem {
  status: { phase: string; reason: string; dependencies?: { object: string; met: boolean; failed: boolean }[] };
  instances: { pid: number | null; phase: string; startedAt: string | null }[];
}
const item = (w: World, key: string): DepItem => itemOf(w.items(), key) as unknown as DepItem;
const pidOf = (w: World, key: string): number => item(w, key).instances[0]?.pid ?? 0;
const sh = (script: string): string => JSON.stringify(['sh', '-c', script]);
const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

test('a start waits for its dependency to be Ready, and a running dependent survives the dependency going away', async () => {
  const w = (world = createWorld());
  const ready = join(w.root, 'ready');
  w.write('db.yaml', processManifest('db',
    'command: ["sleep", "1000"]',
    'probes:',
    `  readiness: {exec: ${sh(`test -f ${ready}`)}, period: 100ms}`,
  ));
  w.write('web.yaml', processManifest('web', 'command: ["sleep", "1001"]', 'dependsOn: [{name: db, condition: ready}]'));
  await w.up();
  await waitFor('db runs, not ready', () => pidOf(w, 'process/db') > 0);
  await waitFor('web waits', () => item(w, 'process/web').status.reason === 'WaitingForDependency');
  assert.deepEqual(item(w, 'process/web').instances, []);
  assert.equal(item(w, 'process/web').status.dependencies?.[0]?.met, false);
  writeFileSync(ready, '');
  await waitFor('web starts once db is Ready', () => pidOf(w, 'process/web') > 0 && alive(pidOf(w, 'process/web')));
  const web = pidOf(w, 'process/web');

  assert.equal(w.tend('stop', 'process/db').code, 0);
  await waitFor('db stopped', () => item(w, 'process/db').instances[0]?.phase === 'Stopped');
  await waitFor('the dependency failure is told', () => /DependencyFailure.*left running/.test(w.tend('events').stdout));
  assert.ok(alive(web), 'web is not killed for it');
  assert.equal(item(w, 'process/web').status.dependencies?.[0]?.met, false);
});

test('completed: a server starts only after its one-shot migration exited 0; a failed one holds it as DependencyFailure', async () => {
  const w = (world = createWorld());
  const done = join(w.root, 'migrated');
  w.write('migrate.yaml', processManifest('migrate', `command: ${sh(`sleep 0.3; touch ${done}`)}`, 'restartPolicy: Never'));
  w.write('web.yaml', processManifest('web', 'command: ["sleep", "1000"]', 'dependsOn: [{name: migrate, condition: completed}]'));
  await w.up();
  await waitFor('web runs', () => pidOf(w, 'process/web') > 0);
  const started = Date.parse(item(w, 'process/web').instances[0]?.startedAt ?? '');
  assert.ok(existsSync(done), 'the migration ran first');
  assert.ok(started >= statSync(done).mtimeMs - 5, 'web started after the migration finished');

  w.write('migrate.yaml', processManifest('migrate', `command: ${sh('exit 1')}`, 'restartPolicy: Never'));
  w.write('api.yaml', processManifest('api', 'command: ["sleep", "1000"]', 'dependsOn: [{name: migrate, condition: completed}]'));
  await waitFor('api is held by the failed migration', () => item(w, 'process/api').status.reason === 'DependencyFailure');
  assert.equal(item(w, 'process/api').status.dependencies?.[0]?.failed, true);
  assert.deepEqual(item(w, 'process/api').instances, []);
});

test('shutdown and prune stop dependents before their dependencies', async () => {
  const w = (world = createWorld());
  const order = join(w.root, 'order');
  // Each program notes its SIGTERM; web takes a while to stop, so an unordered stop would show.
  const noting = (name: string, delay: string) => sh(`trap 'sleep ${delay}; echo ${name} >> ${order}; exit 0' TERM; sleep 1000 & wait`);
  const stack = (): void => {
    w.write('db.yaml', processManifest('db', `command: ${noting('db', '0')}`));
    w.write('web.yaml', processManifest('web', `command: ${noting('web', '0.3')}`, 'dependsOn: [{name: db, condition: started}]'));
  };
  stack();
  const child = await w.up();
  await waitFor('both run', () => pidOf(w, 'process/db') > 0 && pidOf(w, 'process/web') > 0);
  child.kill('SIGTERM');
  await exited(child);
  assert.deepEqual(read(order).trim().split('\n'), ['web', 'db']);

  writeFileSync(order, '');
  await w.up();
  await waitFor('both run again', () => pidOf(w, 'process/db') > 0 && pidOf(w, 'process/web') > 0);
  w.remove('db.yaml');
  w.remove('web.yaml');
  await waitFor('both pruned', () => read(order).trim().split('\n').length === 2, 10_000);
  assert.deepEqual(read(order).trim().split('\n'), ['web', 'db']);
});
