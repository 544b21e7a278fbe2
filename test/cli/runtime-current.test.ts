/**
 * `tend diff` answers from the manifests as they are now: the runtime loads them again unless the
 * watcher vouches that nothing changed since the last load began. A real runtime on a temp state
 * dir, held (no pass starts anything), with a watcher whose count of changes the test sets.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openRuntime, type Runtime } from '../../src/cli/runtime.ts';
import type { WatchPaths } from '../../src/watch/watch-manifests.ts';

const root = mkdtempSync(join(tmpdir(), 'tend-current-'));
let rt: Runtime | undefined;
after(async () => {
  await rt?.close();
  rmSync(root, { recursive: true, force: true });
});

function manifest(name: string, seconds: number): string {
  return `apiVersion: tend/v1\nkind: Process\nmetadata: {name: ${name}}\nspec:\n  command: ["sleep", "${seconds}"]\n`;
}

function commandOf(runtime: Runtime, key: string): unknown {
  const object = runtime.controller.desired().objects.get(key);
  return object && 'command' in object.spec ? object.spec.command : undefined;
}

test('a diff loads again only after a change the watcher saw, or when the watcher cannot vouch', async () => {
  const dir = join(root, 'manifests');
  mkdirSync(dir);
  writeFileSync(join(dir, 'a.yaml'), manifest('a', 100));
  const ctx = { dir, stateDir: join(root, 'state'), output: 'table' as const, color: false, asRoot: process.getuid?.() === 0 };
  const opened = await openRuntime(ctx, undefined, { held: true });
  assert.ok(opened.ok);
  rt = opened.runtime;
  let changes: number | undefined = 0;
  const tracked: WatchPaths[] = [];
  rt.watchWith({ changes: () => changes, track: (paths) => void tracked.push(paths) });
  await rt.reload();
  assert.equal(tracked.length, 1, 'the load told the watcher what it read');
  assert.deepEqual(commandOf(rt, 'process/a'), ['sleep', '100']);

  // Edited, and the watcher (as the test has it) did not see it: the diff trusts the watcher.
  writeFileSync(join(dir, 'a.yaml'), manifest('a', 2000));
  await rt.current();
  assert.equal(rt.loads(), 1);
  assert.deepEqual(commandOf(rt, 'process/a'), ['sleep', '100']);

  changes = 1;
  await rt.current();
  assert.equal(rt.loads(), 2, 'a change seen since the last load began: loaded again');
  assert.deepEqual(commandOf(rt, 'process/a'), ['sleep', '2000']);
  await rt.current();
  assert.equal(rt.loads(), 2, 'nothing seen since');

  writeFileSync(join(dir, 'a.yaml'), manifest('a', 30));
  changes = undefined;
  await rt.current();
  assert.equal(rt.loads(), 3, 'a watcher that cannot vouch: loaded again');
  assert.deepEqual(commandOf(rt, 'process/a'), ['sleep', '30']);
  await rt.current();
  assert.equal(rt.loads(), 4);
});

test('a diff asked during a load waits for it, and loads again only if a change came since it began', async () => {
  assert.ok(rt);
  const runtime = rt;
  let changes: number | undefined = 10;
  runtime.watchWith({ changes: () => changes, track: () => undefined });
  await runtime.reload();
  const before = runtime.loads();
  const loading = runtime.reload();
  await runtime.current();
  await loading;
  assert.equal(runtime.loads(), before + 1, 'the load under way vouched for the diff');
  const again = runtime.reload();
  changes = 11;
  await runtime.current();
  await again;
  assert.equal(runtime.loads(), before + 3, 'a change during the load: one more');
});
