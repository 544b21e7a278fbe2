/**
 * Where the run dir lives: a new state dir's `run` links to a private folder on a tmpfs, an
 * existing folder is kept, a link whose folder a reboot removed gets a new one, and folders whose
 * state dir is gone are swept unless a program may still run from them. The bases are temp
 * folders standing in for a tmpfs (`inMemory`), except in the last test, which uses the machine's.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { placeRunDir, STATE_DIR_FILE, sweepAbandoned } from '../../src/executor/local/run-dir-place.ts';
import { stateDirProblem } from '../../src/platform/state-dir.ts';

const uid = process.geteuid?.() ?? 0;
const root = realpathSync(mkdtempSync(join(tmpdir(), 'tend-run-place-')));
after(() => rmSync(root, { recursive: true, force: true }));
let count = 0;

/** A state dir (mode 0700) and a base standing in for a tmpfs. */
function world(): { stateDir: string; base: string } {
  const here = join(root, `w${++count}`);
  const stateDir = join(here, 'state');
  const base = join(here, 'shm');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  mkdirSync(base, { mode: 0o700 });
  return { stateDir, base };
}

const inMemory = (): boolean => true;

void describe('placeRunDir', () => {
  void it('links a new state dir\'s run to a private folder in the first usable tmpfs, which names the state dir', () => {
    const { stateDir, base } = world();
    const place = placeRunDir(stateDir, { bases: [join(root, 'missing'), base], inMemory, uid });
    assert.equal(place.kind, 'tmpfs');
    const run = join(stateDir, 'run');
    assert.ok(lstatSync(run).isSymbolicLink());
    const folder = readlinkSync(run);
    assert.equal(place.kind === 'tmpfs' && place.folder, folder);
    assert.ok(folder.startsWith(join(base, `tend-run-${uid}-`)));
    assert.equal(statSync(folder).mode & 0o777, 0o700);
    assert.equal(readFileSync(join(folder, STATE_DIR_FILE), 'utf8'), stateDir);
    assert.equal(stateDirProblem(stateDir), undefined, 'the link and its folder pass the state dir\'s checks');
    assert.deepEqual(placeRunDir(stateDir, { bases: [base], inMemory, uid }), place, 'a second controller keeps the folder');
  });

  void it('keeps a run folder that exists, and uses the disk when no base is held in memory', () => {
    const { stateDir, base } = world();
    mkdirSync(join(stateDir, 'run'));
    assert.deepEqual(placeRunDir(stateDir, { bases: [base], inMemory, uid }), { kind: 'disk' });
    assert.ok(lstatSync(join(stateDir, 'run')).isDirectory());
    const other = world();
    assert.deepEqual(placeRunDir(other.stateDir, { bases: [other.base], inMemory: () => false, uid }), { kind: 'disk' });
    assert.ok(lstatSync(join(other.stateDir, 'run')).isDirectory());
    assert.deepEqual(readdirSync(other.base), []);
  });

  void it('does not use a base others can write unless it is sticky', () => {
    const { stateDir, base } = world();
    chmodSync(base, 0o777);
    assert.deepEqual(placeRunDir(stateDir, { bases: [base], inMemory, uid }), { kind: 'disk' });
    const other = world();
    chmodSync(other.base, 0o1777);
    assert.equal(placeRunDir(other.stateDir, { bases: [other.base], inMemory, uid }).kind, 'tmpfs');
  });

  void it('gives a link whose folder is gone (a reboot emptied the tmpfs) a new folder', () => {
    const { stateDir, base } = world();
    const first = placeRunDir(stateDir, { bases: [base], inMemory, uid });
    assert.equal(first.kind, 'tmpfs');
    rmSync(first.kind === 'tmpfs' ? first.folder : '', { recursive: true });
    const second = placeRunDir(stateDir, { bases: [base], inMemory, uid });
    assert.equal(second.kind, 'tmpfs');
    assert.notDeepEqual(second, first);
    assert.equal(readlinkSync(join(stateDir, 'run')), second.kind === 'tmpfs' ? second.folder : '');
  });
  void it('places the run dir of a new state dir of root on this machine\'s tmpfs, and a user\'s on disk', { skip: tmpfsAt('/dev/shm') && uid === 0 ? false : 'needs root and a tmpfs at /dev/shm' }, () => {
    const user = world();
    assert.deepEqual(placeRunDir(user.stateDir, { uid: 1000 }), { kind: 'disk' });
    const { stateDir } = world();
    const place = placeRunDir(stateDir);
    assert.equal(place.kind, 'tmpfs');
    const folder = place.kind === 'tmpfs' ? place.folder : '';
    try {
      assert.ok(tmpfsAt(folder));
      assert.equal(stateDirProblem(stateDir), undefined);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

void describe('sweepAbandoned', () => {
  void it('removes folders whose state dir is gone or links elsewhere; keeps live ones, those a program may run from, and young unclaimed ones', async () => {
    const { base } = world();
    const live = world();
    const place = (stateDir: string): string => {
      const got = placeRunDir(stateDir, { bases: [base], inMemory, uid });
      assert.equal(got.kind, 'tmpfs');
      return got.kind === 'tmpfs' ? got.folder : '';
    };
    const kept = place(live.stateDir);
    const gone = world();
    const goneFolder = place(gone.stateDir);
    rmSync(gone.stateDir, { recursive: true });
    const running = world();
    const runningFolder = place(running.stateDir);
    writeFileSync(join(runningFolder, 'a-0.1.run'), 'pid 1\n');
    writeFileSync(join(runningFolder, 'b-0.2.run'), 'pid 2\n');
    writeFileSync(join(runningFolder, 'b-0.2.exit'), 'code=0\n');
    rmSync(running.stateDir, { recursive: true });
    const ended = world();
    const endedFolder = place(ended.stateDir);
    writeFileSync(join(endedFolder, 'b-0.2.run'), 'pid 2\n');
    writeFileSync(join(endedFolder, 'b-0.2.exit'), 'code=0\n');
    rmSync(ended.stateDir, { recursive: true });
    const relinked = world();
    const relinkedFolder = place(relinked.stateDir);
    rmSync(join(relinked.stateDir, 'run'));
    mkdirSync(join(relinked.stateDir, 'run'));
    const unclaimed = mkdtempSync(join(base, `tend-run-${uid}-`));
    const halfClaimed = mkdtempSync(join(base, `tend-run-${uid}-`));
    writeFileSync(join(halfClaimed, STATE_DIR_FILE), '');
    const another = mkdtempSync(join(base, 'other-'));
    const minuteLater = Date.now() + 61_000;
    await sweepAbandoned(base, uid, '', () => minuteLater);
    const left = new Set(readdirSync(base).map((name) => join(base, name)));
    assert.ok(left.has(kept), 'the folder a state dir links to stays');
    assert.ok(!left.has(goneFolder), 'a folder whose state dir is gone goes');
    assert.ok(!left.has(relinkedFolder), 'a folder its state dir no longer links to goes');
    assert.ok(left.has(runningFolder), 'a folder with a run file and no exit file stays');
    assert.ok(!left.has(endedFolder), 'a folder whose runs all ended goes');
    assert.ok(!left.has(unclaimed), 'an unclaimed folder goes once older than the grace');
    assert.ok(left.has(another), 'what is not tend\'s stays');
    assert.ok(!left.has(halfClaimed), 'so does one with an empty claim');
    const fresh = mkdtempSync(join(base, `tend-run-${uid}-`));
    const freshEmpty = mkdtempSync(join(base, `tend-run-${uid}-`));
    writeFileSync(join(freshEmpty, STATE_DIR_FILE), '');
    await sweepAbandoned(base, uid, '', () => Date.now());
    assert.ok(readdirSync(base).includes(fresh.slice(base.length + 1)), 'a young unclaimed folder (being made) stays');
    assert.ok(readdirSync(base).includes(freshEmpty.slice(base.length + 1)), 'and a young one whose claim reads empty');
  });

  void it('runs, in the background, once a new folder has been placed', async () => {
    const { base } = world();
    const gone = world();
    const placed = placeRunDir(gone.stateDir, { bases: [base], inMemory, uid });
    assert.equal(placed.kind, 'tmpfs');
    rmSync(gone.stateDir, { recursive: true });
    const next = world();
    const kept = placeRunDir(next.stateDir, { bases: [base], inMemory, uid });
    assert.ok(placed.kind === 'tmpfs' && kept.kind === 'tmpfs');
    const deadline = Date.now() + 10_000;
    while (existsSync(placed.folder)) {
      assert.ok(Date.now() < deadline, 'the abandoned folder was never swept');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(existsSync(kept.folder));
  });

});

function tmpfsAt(path: string): boolean {
  try {
    return statfsSync(path).type === 0x01021994;
  } catch {
    return false;
  }
}
