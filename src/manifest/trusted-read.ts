/**
 * Which manifest files tend may read, and as whose: each path is chased component by component
 * and, when tend runs as root, judged like sshd's StrictModes (src/platform/file-trust.ts has the
 * rules). Owns the owner a file's programs run as, the folder its relative paths resolve against
 * (the real file's, never a link's) and the checks on envFrom files and `user:`. Reads through
 * path-chase.ts only; must not parse or validate.
 */
import { basename, dirname } from 'node:path';
import { lookupUser } from '../executor/local/users.ts';
import { judgePath, type Owner, type PathFacts } from '../platform/file-trust.ts';
import { chasePath, readChasedFile, type ChasedPath, type ChaseOptions } from '../platform/path-chase.ts';
import { decodeUtf8 } from './decode.ts';
import type { DiagnosticCode, Position } from './diagnostics.ts';
import type { ReadEnvFile } from './normalize.ts';

/** What the reads of one pass share. */
export interface TrustContext {
  readonly asRoot: boolean;
  readonly maxFileSize: number;
  /** `lstat` results of this pass. */
  readonly cache: NonNullable<ChaseOptions['cache']>;
  /** Real paths of the folders whose entries were all listed. */
  readonly listed: ReadonlySet<string>;
  /** Folders of envFrom files chased in this pass (undefined: absent). */
  readonly folders: Map<string, ChasedPath | undefined>;
  /** Wall-clock ms at which this pass began: the `readAt` of every manifest it reads. */
  readonly readAt: number;
  /**
   * The text an earlier read got from the file at this real path, when its `lstat` now shows that
   * it has not changed since (see {@link statSignature}): the file is then not opened again.
   */
  readonly unchanged?: (real: string, stats: ChasedPath['stats']) => string | undefined;
}

/**
 * What an `lstat` says of a file's identity, size, times, owner and mode. Any write, truncate,
 * chmod, chown or rename over it changes its ctime (which no call can set back). A file whose
 * signature is as it was, with a ctime older than the start of the read that saw it by more than
 * {@link trustMarginMs}, has not changed since that read: a change after it would carry a later
 * ctime.
 */
export function statSignature(stats: ChasedPath['stats']): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.mode}:${stats.uid}:${stats.gid}`;
}

/** How much older than the read that saw it a file's ctime must be for its signature to be trusted. */
export const TRUST_AFTER_MS = 1000;

/**
 * The same on a local file system that keeps sub-second times: its kernel stamps a change with
 * this machine's real-time clock as of the last tick (at most 10 ms behind), so a change after a
 * read that began at R carries a ctime later than R - 10 ms.
 */
export const FINE_TRUST_AFTER_MS = 50;

/**
 * The margin for a file whose `lstat` is `stats`: {@link FINE_TRUST_AFTER_MS} when its file system
 * is local (`local`: it stamps with this machine's clock, unlike NFS or FUSE, whose server may
 * be behind) and its ctime has a fraction of a second (times kept to the second, as on ext4 with
 * small inodes, would let a change within the same second keep it); else {@link TRUST_AFTER_MS}.
 */
export function trustMarginMs(stats: Pick<ChasedPath['stats'], 'ctimeMs'>, local: boolean): number {
  return local && stats.ctimeMs % 1000 !== 0 ? FINE_TRUST_AFTER_MS : TRUST_AFTER_MS;
}

/** A manifest file that may be read, with what it said. */
export interface OpenedManifest {
  readonly ok: true;
  /** Where it really is: the key of cached results. */
  readonly real: string;
  readonly text: string;
  readonly size: number;
  /** Whose the file is: its programs run as this user unless `user:` says otherwise. */
  readonly owner: Owner;
  /** The folder its relative paths resolve against (a symlinked file's: its target's). */
  readonly dir: string;
  /** Device and inode, to read a file reached by two paths once. */
  readonly identity: string;
  /** Owner and mode: part of the key under which results are cached. */
  readonly stamp: string;
  /** {@link statSignature} of the file as it was judged. */
  readonly signature: string;
  /** Wall-clock ms at which the pass that read it began (no later than the read itself). */
  readonly readAt: number;
  /** The text is an earlier read's: the file was not opened (see {@link TrustContext.unchanged}). */
  readonly reused: boolean;
}

export type OpenOutcome = OpenedManifest | { readonly ok: false; readonly code: DiagnosticCode; readonly message: string; readonly at?: Position };

/**
 * Judges the manifest directory's own path: no one but its owner and root may swap it or a
 * folder above it. A message when someone else could; undefined when it is sound or tend does
 * not run as root.
 */
export function manifestDirProblem(root: ChasedPath, asRoot: boolean): string | undefined {
  if (!asRoot) return undefined;
  const verdict = judgePath(root.facts, { kind: 'folders' });
  return verdict.ok ? undefined : `${verdict.problem}; ${verdict.fix}`;
}

/**
 * Chases, judges and reads one manifest file: `path` relative to `from` (the chased manifest
 * directory) or absolute; `dirOf` names the folder its relative paths resolve against, given
 * where it really is. Undefined when it vanished since it was listed.
 */
export function openManifest(path: string, from: ChasedPath | undefined, context: TrustContext, dirOf: (real: string) => string): OpenOutcome | undefined {
  try {
    const chased = chasePath(path, { cache: context.cache, listed: context.listed, ...(from ? { from } : {}) });
    if (!chased) return undefined;
    const judged = judgeManifest(chased.facts, context.asRoot);
    if (!judged.ok) return { ok: false, code: 'InsecurePermissions', message: `refusing this file: ${judged.problem}; ${judged.fix}` };
    const { stats } = chased;
    const known = stats.isFile() ? context.unchanged?.(chased.real, stats) : undefined;
    const read = known === undefined ? readText(chased, context.maxFileSize) : { ok: true as const, text: known, size: stats.size };
    if (!read.ok) return read;
    const { text, size } = read;
    const stamp = `${judged.owner.uid}:${judged.owner.gid}:${stats.mode}`;
    return { ok: true, real: chased.real, text, size, owner: judged.owner, dir: dirOf(chased.real), identity: `${stats.dev}:${stats.ino}`, stamp, signature: statSignature(stats), readAt: context.readAt, reused: known !== undefined };
  } catch (cause) {
    if (errorCode(cause) === 'ENOENT') return undefined;
    return { ok: false, code: 'FileUnreadable', message: `cannot read: ${cause instanceof Error ? cause.message : String(cause)}` };
  }
}

// Reads and decodes a chased file (an over-long one reads as nothing: its size is reported).
function readText(chased: ChasedPath, maxFileSize: number): { readonly ok: true; readonly text: string; readonly size: number } | Extract<OpenOutcome, { ok: false }> {
  const { bytes, size } = readChasedFile(chased, maxFileSize);
  const decoded = decodeUtf8(bytes);
  return decoded.ok ? { ok: true, text: decoded.text, size } : { ok: false, code: 'InvalidEncoding', message: decoded.message, at: decoded.at };
}

// Not running as root, nothing is refused and the file's own owner is reported.
function judgeManifest(facts: PathFacts, asRoot: boolean): ReturnType<typeof judgePath> {
  return asRoot ? judgePath(facts, { kind: 'manifest' }) : { ok: true, owner: { uid: facts.target.uid, gid: facts.target.gid } };
}

/**
 * Reads envFrom files for a manifest owned by `owner`: running as root, a file (and every link
 * and folder on its path) must be the owner's or root's and not writable by others; the file
 * itself must be the owner's, so no one can pull another user's secrets into their program.
 */
export function trustedEnvReader(context: TrustContext, owner: Owner, toReal: (path: string) => string): ReadEnvFile {
  return (path) => {
    try {
      const chased = chaseInFolder(toReal(path), context);
      if (!chased) return { ok: false, reason: 'missing', message: 'no such file' };
      if (chased.facts.target.type !== 'file') return { ok: false, reason: 'unreadable', message: 'not a regular file' };
      if (context.asRoot) {
        const policy = { kind: 'owned-by', uid: owner.uid, who: "the manifest file's owner", type: 'file', deny: 0o022, fixMode: 'go-w' } as const;
        const verdict = judgePath(chased.facts, policy);
        if (!verdict.ok) return { ok: false, reason: 'insecure', message: `${verdict.problem}; ${verdict.fix}` };
      }
      const { bytes, size } = readChasedFile(chased, context.maxFileSize);
      if (size > context.maxFileSize) return { ok: false, reason: 'unreadable', message: `file is ${size} bytes; the limit is ${context.maxFileSize} bytes` };
      const decoded = decodeUtf8(bytes);
      return decoded.ok ? { ok: true, text: decoded.text } : { ok: false, reason: 'unreadable', message: `line ${decoded.at.line}: ${decoded.message}` };
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      return { ok: false, reason: errorCode(cause) === 'ENOENT' ? 'missing' : 'unreadable', message };
    }
  };
}

/**
 * Running as root, why a file owned by `owner` may not run programs as `user`: only a root-owned
 * file may name another account. Undefined when it may (or tend does not run as root).
 */
export function runAsCheck(asRoot: boolean, owner: Owner): ((user: string) => string | undefined) | undefined {
  if (!asRoot || owner.uid === 0) return undefined;
  return (user) => {
    const account = lookupUser(user);
    if (account?.uid === owner.uid) return undefined;
    const found = account ? `is uid ${account.uid}` : 'is not an account on this machine';
    return `"${user}" ${found}, but this file is owned by uid ${owner.uid}: only a root-owned manifest may run a program as another account (remove user:, or have root own the file)`;
  };
}

/**
 * For files reached by more than one path (a symlink to another manifest), which to read: the
 * most trusted path (root's), else the first. Maps each dropped index to the index kept.
 */
export function readOnce(opened: readonly (OpenOutcome | undefined)[]): ReadonlyMap<number, number> {
  const groups = new Map<string, number[]>();
  opened.forEach((outcome, index) => {
    if (outcome?.ok) groups.set(outcome.identity, [...(groups.get(outcome.identity) ?? []), index]);
  });
  const dropped = new Map<number, number>();
  for (const indexes of groups.values()) {
    const rootOwned = indexes.find((index) => (opened[index] as OpenedManifest).owner.uid === 0);
    const winner = rootOwned ?? indexes[0];
    for (const index of indexes) if (winner !== undefined && index !== winner) dropped.set(index, winner);
  }
  return dropped;
}

// Envfiles of many manifests share a folder: it is chased once per pass.
function chaseInFolder(path: string, context: TrustContext): ChasedPath | undefined {
  const folder = dirname(path);
  let from = context.folders.get(folder);
  if (!context.folders.has(folder)) {
    from = chasePath(folder, { cache: context.cache });
    context.folders.set(folder, from);
  }
  return from && chasePath(basename(path), { from, cache: context.cache });
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}
