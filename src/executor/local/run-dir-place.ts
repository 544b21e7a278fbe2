/**
 * Where the run dir's files live. They describe processes, which a reboot ends, and one or more
 * is made on every start, restart and exit, so, like systemd's `/run`, they belong on a tmpfs:
 * making a file there allocates no disk inode (on ext4 without a journal every new inode first
 * passes over the inodes deleted in the last minutes, under the folder's lock), and nothing is
 * left to mislead a controller after a reboot.
 *
 * A state dir without a `run` entry gets a symlink `run` to a private folder made by `mkdtemp`
 * (mode 0700) in the first usable tmpfs of `/run` and `/dev/shm`, for root only: a user's
 * `$XDG_RUNTIME_DIR` is removed when the user's last session ends, and logind's `RemoveIPC`
 * empties `/dev/shm` of a regular user's files then, while programs left running outlive the
 * session; a user's run dir stays on disk. A `run` that is a folder is kept as it is (who wants
 * the files on disk makes it). A link whose folder is gone (a reboot emptied the tmpfs) gets a
 * new folder. Each folder holds `.state-dir`, the state dir it serves, so a later controller
 * removes the folders whose state dir is gone or serves another one, unless one holds the run
 * file of a program that may still run.
 *
 * Called with the state dir's lock held. Does I/O; never throws: without a usable tmpfs, or on
 * any failure, the run dir is `<stateDir>/run` on the state dir's own file system, as before.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statfsSync, symlinkSync, type Stats } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { runDirOf, unlinkQuietly, writeFileWhole } from './run-dir.ts';

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

/** The file of a tmpfs folder that names the state dir it serves. */
export const STATE_DIR_FILE = '.state-dir';

/** How old a folder without {@link STATE_DIR_FILE} must be before a sweep takes it for abandoned. */
const UNCLAIMED_GRACE_MS = 60_000;

/** What {@link placeRunDir} may look at; each part has the machine's own as its default. */
export interface RunDirPlaceOptions {
  readonly uid?: number;
  /** The folders tried in order; by default `/run` and `/dev/shm` for root, none for others. */
  readonly bases?: readonly string[];
  /** Whether a folder is on a file system held in memory; by default its `statfs` type. */
  readonly inMemory?: (path: string) => boolean;
  readonly now?: () => number;
}

/** Where the run dir of a state dir is: on a tmpfs (`run` links to `folder`) or on the state dir's own disk. */
export type RunDirPlace = { readonly kind: 'tmpfs'; readonly folder: string } | { readonly kind: 'disk' };

/** Makes sure the run dir of `stateDir` exists, on a tmpfs when it is new and one is usable. */
export function placeRunDir(stateDir: string, options: RunDirPlaceOptions = {}): RunDirPlace {
  const path = runDirOf(stateDir);
  const uid = options.uid ?? process.geteuid?.() ?? 0;
  const entry = lstatOrUndefined(path);
  if (entry?.isDirectory()) return { kind: 'disk' };
  if (entry?.isSymbolicLink()) {
    const folder = linkTarget(path);
    const here = folder === undefined ? undefined : lstatOrUndefined(folder);
    if (folder !== undefined && here?.isDirectory() && here.uid === uid) {
      claim(folder, stateDir);
      return { kind: 'tmpfs', folder };
    }
    unlinkQuietly(path);
  } else if (entry) {
    return { kind: 'disk' };
  }
  const base = (options.bases ?? (uid === 0 ? ROOT_BASES : [])).find((candidate) => usableBase(candidate, uid, options.inMemory ?? onTmpfs));
  if (base !== undefined) {
    const folder = makeFolder(base, uid, path, stateDir);
    if (folder !== undefined) {
      // Off the event loop: the files a stopped bring-up of 500 left took 46 ms of the next
      // start's loop to remove. Not later: a short-lived controller (`reconcile --once`, a test)
      // would then leave the folders of every state dir it outlived in memory.
      void sweepAbandoned(base, uid, folder, options.now ?? Date.now);
      return { kind: 'tmpfs', folder };
    }
  }
  try {
    mkdirSync(path, { recursive: true, mode: 0o750 });
  } catch {
    // Said by the executor, whose first spawn makes it again.
  }
  return { kind: 'disk' };
}

const ROOT_BASES = ['/run', '/dev/shm'];

/**
 * A folder tend may make its private folder in: held in memory, and no one else can take the
 * entry it makes from it (owned by root or this user and writable by no one else, or sticky, as
 * `/dev/shm`), and this user can write it.
 */
function usableBase(base: string, uid: number, inMemory: (path: string) => boolean): boolean {
  const stats = lstatOrUndefined(base);
  if (!stats?.isDirectory()) return false;
  const othersWrite = (stats.mode & 0o022) !== 0;
  const sticky = (stats.mode & 0o1000) !== 0;
  if (othersWrite ? !sticky : stats.uid !== uid && stats.uid !== 0) return false;
  const writable = stats.uid === uid ? (stats.mode & 0o200) !== 0 : uid === 0 || (stats.mode & 0o002) !== 0;
  return writable && inMemory(base);
}

function onTmpfs(path: string): boolean {
  try {
    const type = statfsSync(path).type;
    return type === TMPFS_MAGIC || type === RAMFS_MAGIC;
  } catch {
    return false;
  }
}

// mkdtemp makes the folder with mode 0700 under a name no one had; the link then names it.
function makeFolder(base: string, uid: number, link: string, stateDir: string): string | undefined {
  let folder: string;
  try {
    folder = mkdtempSync(join(base, `tend-run-${uid}-`));
  } catch {
    return undefined;
  }
  try {
    symlinkSync(folder, link);
  } catch {
    rmSync(folder, { recursive: true, force: true });
    return undefined;
  }
  claim(folder, stateDir);
  return folder;
}

// Names the state dir in the folder (again after the state dir moved), for the sweeps of others;
// only in a folder tend made (a `run` link may name one of the user's own).
function claim(folder: string, stateDir: string): void {
  if (!basename(folder).startsWith('tend-run-')) return;
  const owner = resolve(stateDir);
  const file = join(folder, STATE_DIR_FILE);
  try {
    if (readFileSync(file, 'utf8') === owner) return;
  } catch {
    // Not written yet.
  }
  // Whole or not at all: a sweep must never read a claim half written. Not written: the next
  // controller's claim writes it, and a sweep leaves an unclaimed folder alone a while.
  writeFileWhole(file, owner);
}

/**
 * Removes this user's folders in `base` that no state dir's `run` links to any more: each names
 * its state dir, whose link is looked at. A folder with a run file and no exit file beside it is
 * kept: its program may still run, and its shim writes there. Which folders go is decided now;
 * they are removed in the thread pool, and the promise settles once they are (it never rejects).
 */
export async function sweepAbandoned(base: string, uid: number, keep: string, now: () => number): Promise<void> {
  const prefix = `tend-run-${uid}-`;
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  const removals: Promise<void>[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const folder = join(base, name);
    if (folder === keep) continue;
    const stats = lstatOrUndefined(folder);
    if (!stats?.isDirectory() || stats.uid !== uid) continue;
    if (!abandoned(folder, stats, now())) continue;
    // A shim still writing its exit file there (ENOTEMPTY): the next sweep takes it.
    removals.push(rm(folder, { recursive: true, force: true }).catch(() => undefined));
  }
  await Promise.all(removals);
}

function abandoned(folder: string, stats: Stats, now: number): boolean {
  let owner = '';
  try {
    owner = readFileSync(join(folder, STATE_DIR_FILE), 'utf8');
  } catch {
    // Not claimed yet.
  }
  if (!owner) return now - stats.ctimeMs > UNCLAIMED_GRACE_MS && !mayRun(folder);
  return linkTarget(runDirOf(owner)) !== folder && !mayRun(folder);
}

// A run file without its exit file (by name only: a run file that does not parse counts too):
// the program it stands for may still run.
function mayRun(folder: string): boolean {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return true;
  }
  const exits = new Set(names.filter((name) => name.endsWith('.exit')).map((name) => name.slice(0, -'.exit'.length)));
  return names.some((name) => name.endsWith('.run') && !exits.has(name.slice(0, -'.run'.length)));
}

function linkTarget(path: string): string | undefined {
  try {
    return resolve(dirname(path), readlinkSync(path));
  } catch {
    return undefined;
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
