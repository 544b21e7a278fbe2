/**
 * The manifest watcher on a real folder: one watch per folder, files elsewhere by name, new
 * folders picked up, a symlink swap of the directory followed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { relevant, wantedFolders, watchManifests, type ManifestWatcher } from '../../src/watch/watch-manifests.ts';

const roots: string[] = [];
const watchers: ManifestWatcher[] = [];
after(async () => {
  for (const w of watchers) await w.close();
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function world(): { root: string; dir: string; changes: () => number; watcher: ManifestWatcher } {
  const root = mkdtempSync(join(tmpdir(), 'tend-watch-'));
  roots.push(root);
  const dir = join(root, 'manifests');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  let count = 0;
  const watcher = watchManifests({ dir, debounceMs: 1, onChange: () => count++ });
  watchers.push(watcher);
  return { root, dir, changes: () => count, watcher };
}

async function changeAfter(changes: () => number, act: () => void, what: string): Promise<void> {
  const before = changes();
  act();
  const deadline = Date.now() + 10_000;
  while (changes() === before) {
    if (Date.now() > deadline) assert.fail(`no change reported after ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('wantedFolders: listed folders whole, and every file read by its name (a hidden .env too)', () => {
  const wanted = wantedFolders({ folders: ['/m', '/m/sub'], files: ['/m/a.yaml', '/m/.env', '/etc/app/one.env', '/etc/app/two.env'] });
  assert.deepEqual([...wanted.keys()].sort(), ['/etc/app', '/m', '/m/sub']);
  assert.equal(wanted.get('/m')?.all, true);
  assert.ok(wanted.get('/m')?.names.has('.env'));
  assert.equal(wanted.get('/etc/app')?.all, false);
  assert.deepEqual([...(wanted.get('/etc/app')?.names ?? [])].sort(), ['one.env', 'two.env']);
});

test('edits in the directory and its folders are reported, and a new folder is watched once a load lists it', async () => {
  const w = world();
  await changeAfter(w.changes, () => writeFileSync(join(w.dir, 'a.yaml'), 'x: 1\n'), 'a new file');
  await changeAfter(w.changes, () => writeFileSync(join(w.dir, 'sub', 'b.yaml'), 'x: 1\n'), 'a file in a folder');
  await changeAfter(w.changes, () => mkdirSync(join(w.dir, 'later')), 'a new folder');
  await changeAfter(w.changes, () => w.watcher.track({ folders: [w.dir, join(w.dir, 'sub'), join(w.dir, 'later')], files: [] }), 'a folder tracked for the first time');
  await changeAfter(w.changes, () => writeFileSync(join(w.dir, 'later', 'c.yaml'), 'x: 1\n'), 'a file in the new folder');
});

test('a file outside the directory that a load read is watched by its name only', async () => {
  const w = world();
  const outside = join(w.root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'app.env'), 'A=1\n');
  w.watcher.track({ folders: [w.dir, join(w.dir, 'sub')], files: [join(outside, 'app.env')] });
  await changeAfter(w.changes, () => writeFileSync(join(outside, 'app.env'), 'A=2\n'), 'an edit of the env file');
});

test('relevant: hidden entries never matter, a named folder only its names, an unnamed event always', () => {
  const folder = { all: true, names: new Set(['.env']) };
  const elsewhere = { all: false, names: new Set(['app.env']) };
  assert.equal(relevant(folder, 'web.yaml'), true);
  assert.equal(relevant(folder, '.web.yaml.swp'), false);
  assert.equal(relevant(folder, '.env'), true);
  assert.equal(relevant(elsewhere, 'app.env'), true);
  assert.equal(relevant(elsewhere, 'unrelated.txt'), false);
  assert.equal(relevant(elsewhere, null), true);
});

test('an atomic symlink swap of the directory is followed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tend-watch-'));
  roots.push(root);
  mkdirSync(join(root, 'rev1'));
  mkdirSync(join(root, 'rev2'));
  const dir = join(root, 'current');
  symlinkSync(join(root, 'rev1'), dir);
  let count = 0;
  const watcher = watchManifests({ dir, debounceMs: 1, onChange: () => count++ });
  watchers.push(watcher);
  await changeAfter(() => count, () => {
    symlinkSync(join(root, 'rev2'), join(root, 'next'));
    renameSync(join(root, 'next'), dir);
  }, 'the swap');
  await changeAfter(() => count, () => writeFileSync(join(root, 'rev2', 'a.yaml'), 'x: 1\n'), 'an edit in the new revision');
});

test('changes are counted as they come, before the quiet time; a folder that cannot be watched stops the count vouching', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tend-watch-'));
  roots.push(root);
  const dir = join(root, 'manifests');
  mkdirSync(dir);
  let reported = 0;
  const watcher = watchManifests({ dir, debounceMs: 60_000, onChange: () => reported++ });
  watchers.push(watcher);
  const start = watcher.changes();
  assert.equal(start, 0, 'every folder watched: the count vouches');
  await changeAfter(() => watcher.changes() ?? -1, () => writeFileSync(join(dir, 'a.yaml'), 'x: 1\n'), 'a new file');
  assert.equal(reported, 0, 'still within the quiet time: not yet reported');
  const missing = join(root, 'gone');
  watcher.track({ folders: [dir], files: [join(missing, 'app.env')] });
  assert.equal(watcher.changes(), undefined, 'an env file in a folder that is missing: a change there would go unseen');
  watcher.track({ folders: [dir], files: [] });
  assert.equal(typeof watcher.changes(), 'number', 'no longer wanted: the count vouches again');
});
