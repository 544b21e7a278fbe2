/**
 * Resolves a path one component at a time, as the kernel does, recording every folder passed
 * through, every symlink followed and what the path finally names: the facts file-trust.ts
 * judges. Then reads a chased file through its real path and makes sure it is the very file that
 * was judged (same device and inode), so a swap between the check and the read is caught.
 * Does I/O; makes no decisions.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { PathFacts, StepFact, TargetFact } from './file-trust.ts';

/** A resolved path: where it really is, what was met on the way, and its `lstat`. */
export interface ChasedPath {
  readonly real: string;
  readonly facts: PathFacts;
  readonly stats: Stats;
}

/** Options of {@link chasePath}. */
export interface ChaseOptions {
  /** `lstat` results by path (undefined: absent), shared by the chases of one read. */
  readonly cache?: Map<string, Stats | undefined>;
  /** Continue from this already chased folder; the path is then relative to it. */
  readonly from?: ChasedPath;
  /** Real paths of folders whose every entry is read (see `FolderFact.listed`). */
  readonly listed?: ReadonlySet<string>;
}

// As Linux's MAXSYMLINKS.
const MAX_LINKS = 40;

/**
 * Resolves `path` (absolute, or relative to `options.from` or the working directory). Undefined
 * when some part of it does not exist (cheaper than an error: a missing optional envFrom file is
 * common); throws the file system's other errors (`ENOTDIR`, `ELOOP`, `EACCES`).
 */
export function chasePath(path: string, options: ChaseOptions = {}): ChasedPath | undefined {
  const cache = options.cache ?? new Map<string, Stats | undefined>();
  const look = (p: string): Stats | undefined => cachedLstat(cache, p);
  const steps: StepFact[] = [...(options.from?.facts.steps ?? [])];
  const start = options.from && !isAbsolute(path) ? options.from.real : '/';
  const pending = componentsOf(options.from && !isAbsolute(path) ? path : resolve(path));
  let current = start;
  let links = 0;
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    if (name === '.') continue;
    if (name === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, name);
    const here = look(current);
    const entry = look(next);
    if (!here || !entry) return undefined;
    steps.push({ kind: 'folder', path: current, uid: here.uid, mode: here.mode, entryUid: entry.uid, listed: options.listed?.has(current) ?? false });
    if (!entry.isSymbolicLink()) {
      current = next;
      continue;
    }
    if (++links > MAX_LINKS) throw Object.assign(new Error(`too many levels of symbolic links: ${path}`), { code: 'ELOOP' });
    steps.push({ kind: 'link', path: next, uid: entry.uid, gid: entry.gid });
    const target = readlinkSync(next);
    if (isAbsolute(target)) current = '/';
    pending.unshift(...componentsOf(target));
  }
  const stats = look(current);
  return stats && { real: current, facts: { steps, target: targetFact(current, stats) }, stats };
}

/** {@link chasePath} for a path that must exist: a missing one throws `ENOENT`. */
export function chaseExisting(path: string, options: ChaseOptions = {}): ChasedPath {
  const chased = chasePath(path, options);
  if (!chased) throw Object.assign(new Error(`ENOENT: no such file or directory, '${path}'`), { code: 'ENOENT' });
  return chased;
}

/**
 * Reads a chased regular file through its real path, refusing to follow a link swapped in since
 * and checking it is still the file that was chased. Throws `ESTALE` when it is not.
 */
export function readChasedFile(chased: ChasedPath, maxBytes: number): { readonly bytes: Buffer; readonly size: number } {
  const fd = openSync(chased.real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    if (info.dev !== chased.stats.dev || info.ino !== chased.stats.ino || !info.isFile()) {
      throw Object.assign(new Error(`${chased.real} changed while it was read`), { code: 'ESTALE' });
    }
    if (info.size > maxBytes) return { bytes: Buffer.alloc(0), size: info.size };
    return { bytes: readFileSync(fd), size: info.size };
  } finally {
    closeSync(fd);
  }
}

function targetFact(path: string, stats: Stats): TargetFact {
  const type = stats.isFile() ? 'file' : stats.isDirectory() ? 'folder' : stats.isSocket() ? 'socket' : 'other';
  return { path, uid: stats.uid, gid: stats.gid, mode: stats.mode, type };
}

function componentsOf(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

function cachedLstat(cache: Map<string, Stats | undefined>, path: string): Stats | undefined {
  if (cache.has(path)) return cache.get(path);
  const stats = lstatSync(path, { throwIfNoEntry: false });
  cache.set(path, stats);
  return stats;
}
