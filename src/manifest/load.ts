/**
 * Reading manifests from disk: the only file of the manifest subsystem that does I/O. Finds
 * the `.yaml`/`.yml` files (hidden files and folders skipped), enforces the per-file size limit
 * and, when running as root, sshd-style permission checks; then hands each file's text to the
 * pure pipeline (validate.ts) and the set to the cross-file checks (check-set.ts).
 *
 * The file system calls are synchronous: for many small files they cost a fraction of what
 * fs/promises does (one promise and thread-pool hop per call), and parsing dominates anyway.
 * The exported functions still return promises so callers need not change if that changes.
 */
import { lstatSync, readdirSync, realpathSync, statfsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { TendError } from '../model/errors.ts';
import { systemClock } from '../platform/clock.ts';
import { chaseExisting, type ChasedPath } from '../platform/path-chase.ts';
import { checkManifestSet } from './check-set.ts';
import type { Incumbents, ManifestSetResult } from './check-set.ts';
import { FILE_START, makeDiagnostic } from './diagnostics.ts';
import type { DiagnosticCode, Position } from './diagnostics.ts';
import type { EnvFileRead, ReadEnvFile } from './normalize.ts';
import { manifestDirProblem, openManifest, readOnce, runAsCheck, statSignature, trustedEnvReader, trustMarginMs, type OpenedManifest, type OpenOutcome, type TrustContext } from './trusted-read.ts';
import { validateManifestText } from './validate.ts';
import type { ManifestFileResult } from './validate.ts';

/** Per-file size limit (SPEC §5), also applied to envFrom files. */
export const MAX_MANIFEST_FILE_SIZE = 256 * 1024;

/** How manifests are read. */
export interface ReadManifestOptions {
  /**
   * Judge every manifest file (and envFrom file) by who could change it, like sshd's
   * StrictModes (src/platform/file-trust.ts has the rules), run its programs as the less
   * privileged of its link and target owners, and allow `user:` naming another account only in a
   * root-owned file. Default: true when this process runs as root.
   */
  readonly asRoot?: boolean;
  /** Paths inside this folder are shown relative to it. Default: `process.cwd()`. */
  readonly cwd?: string;
  /** Default: {@link MAX_MANIFEST_FILE_SIZE}. */
  readonly maxFileSize?: number;
  /**
   * Results of earlier reads: a file whose text, owner and mode (and envFrom files' texts) are
   * unchanged is not parsed and validated again. A watching controller passes one cache to every
   * read, so an edit costs the edited file, not the whole directory. A file whose `lstat` shows it
   * unchanged since the read that cached it (trusted-read.ts, `statSignature`) is not even opened.
   */
  readonly cache?: ManifestCache;
  /** The file that defines each running object: it keeps the object when another file redefines it. */
  readonly incumbents?: Incumbents;
  /**
   * Lets other work run (a controller's API, its signals); called after every
   * {@link VALIDATE_SLICE} files opened and again after every {@link VALIDATE_SLICE} validated, so
   * a directory of thousands of files does not hold the event loop for the whole read. The files
   * are still all read at one moment, before any is validated. Without it the read is one piece.
   */
  readonly yieldTurn?: () => Promise<void>;
  /** Told how many manifest files the read found, once they are listed and before any is read. */
  readonly onListed?: (files: number) => void;
  /** The wall clock a read is stamped with, once as it begins (see `cache`). Default: the system clock's. */
  readonly now?: () => number;
}

/** Files validated, or opened, between two calls of `yieldTurn`. */
export const VALIDATE_SLICE = 25;

// Files opened (read and checked, not parsed) between two calls of `yieldTurn`: a few ms at
// most, so the caller's turn budget decides when to let other work run (250 at once held the
// loop for 50-170 ms on a busy machine).
const OPEN_SLICE = VALIDATE_SLICE;

/** Per-file results of earlier reads, by real path. */
export type ManifestCache = Map<string, CachedFile>;

interface CachedFile {
  readonly key: string;
  readonly text: string;
  /** The file's `lstat` signature and when the read that got `text` began (trusted-read.ts). */
  readonly signature: string;
  readonly readAt: number;
  /** envFrom files read while validating, with what was read. */
  readonly envReads: readonly { readonly path: string; readonly read: EnvFileRead }[];
  readonly result: ManifestFileResult;
}

/**
 * What reading a manifest directory gave. `ok: false` means the directory (or a folder in it)
 * could not be listed, or, as root, someone else could swap it: an error state, never an empty
 * desired state, so nothing is pruned because a mount vanished or a directory was replaced. `ok: true` says nothing about validity: see `valid` and
 * `diagnostics`.
 */
export type ReadManifestDirResult =
  | (ManifestSetResult & {
      readonly ok: true;
      /** Absolute path of the directory as named (a symlink stays a symlink). */
      readonly dir: string;
      /** Where it pointed when it was read (differs from `dir` behind a symlink swap). */
      readonly realDir: string;
      /** What this read depends on, real paths: the folders listed, the manifest and envFrom files read. */
      readonly watched: { readonly folders: readonly string[]; readonly files: readonly string[] };
    })
  | { readonly ok: false; readonly error: TendError };

interface Settings {
  readonly asRoot: boolean;
  readonly cwd: string;
  readonly maxFileSize: number;
  readonly cache: ManifestCache | undefined;
  readonly incumbents: Incumbents | undefined;
  readonly now: () => number;
}

/** A manifest file to read: its path as named, and as chased (relative to its tree's root, or absolute). */
interface Entry {
  readonly logical: string;
  readonly path: string;
  /** The entry itself is a symlink: its relative paths resolve from the real file's folder. */
  readonly link: boolean;
}

/** One tree of manifests: where it is, as named and as chased. */
interface Tree {
  readonly logical: string;
  readonly root: ChasedPath;
}

/**
 * Reads every `.yaml`/`.yml` file under `dir`, recursively, in sorted path order, skipping
 * hidden files and folders. A symlinked `dir` is resolved once, so an atomic symlink swap
 * mid-read cannot mix two revisions; relative paths in manifests still resolve through `dir`
 * itself, so a swap alone changes no program. Never throws for OS errors: an unreadable
 * directory comes back as `{ ok: false, error }` with `error.code === 'ManifestDirUnreadable'`,
 * and, running as root, one that others could swap with `ManifestDirInsecure`.
 */
export async function readManifestDir(dir: string, options: ReadManifestOptions = {}): Promise<ReadManifestDirResult> {
  const settings = settingsOf(options);
  const pass = newPass(settings);
  const tree = readTree(resolve(settings.cwd, dir), settings, pass);
  if ('error' in tree) return { ok: false, error: tree.error };
  options.onListed?.(tree.entries.length);
  const opened = options.yieldTurn ? await openSliced(tree.entries, tree, pass, options.yieldTurn) : openEntries(tree.entries, tree, pass);
  const files: ManifestFileResult[] = [];
  for (let index = 0; index < tree.entries.length; index++) {
    if (options.yieldTurn && index > 0 && index % VALIDATE_SLICE === 0) await options.yieldTurn();
    const result = resultOf(opened, index, { settings, pass, tree });
    if (result) files.push(result);
  }
  forgetOthers(settings.cache, pass.read);
  const watched = { folders: [...pass.listed], files: [...pass.read, ...pass.envFiles] };
  return { ok: true, dir: tree.logical, realDir: tree.root.real, watched, ...checkManifestSet(files, settings.incumbents) };
}

// Chases and lists one tree; an error when it cannot be listed or, as root, others could swap it.
function readTree(logical: string, settings: Settings, pass: Pass): (Tree & { readonly entries: readonly Entry[] }) | { readonly error: TendError } {
  const found: { logical: string; link: boolean }[] = [];
  let root: ChasedPath;
  try {
    root = chaseExisting(logical, { cache: pass.trust.cache });
    walk({ logical, real: root.real }, found, pass.listed);
  } catch (cause) {
    const message = `cannot read manifest directory ${displayPath(logical, settings)}: ${errorText(cause)}`;
    return { error: new TendError('ManifestDirUnreadable', message, { cause }) };
  }
  const problem = manifestDirProblem(root, settings.asRoot);
  if (problem) return { error: new TendError('ManifestDirInsecure', `refusing manifest directory ${displayPath(logical, settings)}: ${problem}`) };
  return { logical, root, entries: found.map((file) => ({ ...file, path: relative(logical, file.logical) })) };
}

/**
 * Reads the named files (`tend validate FILES`); a folder among them is read like
 * {@link readManifestDir}. A path that cannot be read becomes a `FileUnreadable` diagnostic.
 */
export function readManifestFiles(paths: readonly string[], options: ReadManifestOptions = {}): Promise<ManifestSetResult> {
  return new Promise((done) => done(readFilesNow(paths, settingsOf(options))));
}

function readFilesNow(paths: readonly string[], settings: Settings): ManifestSetResult {
  const pass = newPass(settings);
  const files: ManifestFileResult[] = [];
  for (const path of paths) {
    const logical = resolve(settings.cwd, path);
    const tree = isDirectory(logical) ? readTree(logical, settings, pass) : undefined;
    if (tree && 'error' in tree) {
      const code = tree.error.code === 'ManifestDirInsecure' ? 'InsecurePermissions' : 'FileUnreadable';
      files.push(fileProblem(displayPath(logical, settings), code, tree.error.message));
    }
    else if (tree) files.push(...loadEntries(tree.entries, tree, settings, pass));
    else files.push(...loadEntries([{ logical, path: logical, link: isLink(logical) }], undefined, settings, pass, true));
  }
  return checkManifestSet(files);
}

function settingsOf(options: ReadManifestOptions): Settings {
  return {
    asRoot: options.asRoot ?? process.getuid?.() === 0,
    cwd: options.cwd ?? process.cwd(),
    maxFileSize: options.maxFileSize ?? MAX_MANIFEST_FILE_SIZE,
    cache: options.cache,
    incumbents: options.incumbents,
    now: options.now ?? (() => systemClock.now()),
  };
}

/** What one read shares: lstat results, the folders listed, the files read, the accounts file's stamp. */
interface Pass {
  readonly trust: TrustContext;
  readonly listed: Set<string>;
  readonly read: Set<string>;
  /** envFrom files the manifests read, real paths. */
  readonly envFiles: Set<string>;
  readonly accounts: string;
}

function newPass(settings: Settings): Pass {
  const listed = new Set<string>();
  const trust: TrustContext = { asRoot: settings.asRoot, maxFileSize: settings.maxFileSize, cache: new Map(), listed, folders: new Map(), readAt: settings.now(), ...(settings.cache ? { unchanged: unchangedInCache(settings.cache) } : {}) };
  // `user:` checks depend on /etc/passwd: a cached result is good only while it is unchanged.
  const passwd = settings.asRoot ? statSync('/etc/passwd', { throwIfNoEntry: false }) : undefined;
  return { trust, listed, read: new Set(), envFiles: new Set(), accounts: passwd ? `${passwd.mtimeMs}:${passwd.size}` : '' };
}

/**
 * The text of a file read before that has not changed since, by its real path and `lstat`: such a
 * file is not opened again. An edit of one file in a directory of thousands opens one file, not
 * all of them, and a `diff` with none edited opens none.
 */
export function unchangedInCache(cache: ManifestCache, local: (path: string, dev: number) => boolean = localFileSystems()): NonNullable<TrustContext['unchanged']> {
  return (real, stats) => {
    const cached = cache.get(real);
    if (!cached || cached.signature !== statSignature(stats)) return undefined;
    return stats.ctimeMs < cached.readAt - trustMarginMs(stats, local(real, stats.dev)) ? cached.text : undefined;
  };
}

// statfs(2) types of local file systems that keep sub-second times: ext2/3/4, XFS, btrfs, tmpfs,
// ramfs, overlayfs, F2FS, ZFS, bcachefs.
const LOCAL_FILE_SYSTEMS = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x858458f6, 0x794c7630, 0xf2f52010, 0x2fc12fc1, 0xca451a4e]);

/**
 * Whether the file system holding `path` is one of `LOCAL_FILE_SYSTEMS`, asked once per
 * device (`dev`) for the life of the returned function (one pass: a device number can be given
 * to another mount later).
 */
export function localFileSystems(): (path: string, dev: number) => boolean {
  const known = new Map<number, boolean>();
  return (path, dev) => {
    let local = known.get(dev);
    if (local === undefined) {
      try {
        local = LOCAL_FILE_SYSTEMS.has(statfsSync(path).type);
      } catch {
        local = false;
      }
      known.set(dev, local);
    }
    return local;
  };
}

// Depth first, sorted; throws when a folder cannot be listed (except one that vanished).
function walk(folder: { logical: string; real: string }, out: { logical: string; link: boolean }[], seen: Set<string>): void {
  seen.add(folder.real);
  const names = readdirSync(folder.real, { withFileTypes: true })
    .filter((d) => !d.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const dirent of names) {
    const logical = join(folder.logical, dirent.name);
    const real = join(folder.real, dirent.name);
    const kind = dirent.isSymbolicLink() ? linkKind(real) : dirent.isDirectory() ? 'dir' : dirent.isFile() ? 'file' : 'other';
    if (kind === 'dir') {
      try {
        const target = dirent.isSymbolicLink() ? realpathSync(real) : real;
        if (!seen.has(target)) walk({ logical, real: target }, out, seen);
      } catch (error) {
        if (!isErrorCode(error, 'ENOENT')) throw error; // a folder removed while listing is simply gone
      }
    } else if (kind === 'file' && /\.ya?ml$/.test(dirent.name)) {
      out.push({ logical, link: dirent.isSymbolicLink() });
    }
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false; // reported when it is read
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // reported when it is read as a file
  }
}

function linkKind(path: string): 'dir' | 'file' | 'other' {
  try {
    const info = statSync(path);
    return info.isDirectory() ? 'dir' : info.isFile() ? 'file' : 'other';
  } catch {
    return 'other'; // a dangling link is no manifest
  }
}

// Every entry's result in order (vanished files left out); a file reached twice is read once.
function loadEntries(entries: readonly Entry[], tree: Tree | undefined, settings: Settings, pass: Pass, named = false): ManifestFileResult[] {
  const opened = openEntries(entries, tree, pass, named);
  const results: ManifestFileResult[] = [];
  for (let index = 0; index < entries.length; index++) {
    const result = resultOf(opened, index, { settings, pass, tree }, named);
    if (result) results.push(result);
  }
  return results;
}

/** Entries opened (read) at one moment, and which of them are the same file as an earlier one. */
interface OpenedEntries {
  readonly entries: readonly Entry[];
  readonly opened: readonly (OpenOutcome | undefined)[];
  readonly dropped: ReadonlyMap<number, number>;
}

function openEntries(entries: readonly Entry[], tree: Tree | undefined, pass: Pass, named = false): OpenedEntries {
  // A link's relative paths resolve from its target's folder, seen through the directory as named
  // when inside it (so a symlink swap of the directory alone changes no program); a file's, from
  // its folder as named.
  const toLogical = (real: string): string => (tree ? realPathIn(real, tree.root.real, tree.logical) : real);
  const dirOf = (entry: Entry) => (real: string) => (entry.link ? toLogical(dirname(real)) : dirname(entry.logical));
  const trust = named ? { ...pass.trust, listed: new Set<string>() } : pass.trust;
  const opened = entries.map((e) => openManifest(e.path, tree?.root, trust, dirOf(e)));
  return { entries, opened, dropped: readOnce(opened) };
}

// openEntries in slices of OPEN_SLICE files with a turn of the event loop between them: the
// directory was resolved once (readTree), so every file still comes from the same revision.
async function openSliced(entries: readonly Entry[], tree: Tree, pass: Pass, yieldTurn: () => Promise<void>): Promise<OpenedEntries> {
  const opened: (OpenOutcome | undefined)[] = [];
  for (let start = 0; start < entries.length; start += OPEN_SLICE) {
    if (start > 0) await yieldTurn();
    opened.push(...openEntries(entries.slice(start, start + OPEN_SLICE), tree, pass).opened);
  }
  return { entries, opened, dropped: readOnce(opened) };
}

// The result of the entry at `index` (validated now); undefined for a file that vanished.
function resultOf(read: OpenedEntries, index: number, at: { settings: Settings; pass: Pass; tree: Tree | undefined }, named = false): ManifestFileResult | undefined {
  const { entries, opened, dropped } = read;
  const outcome = opened[index];
  const file = displayPath(entries[index]?.logical ?? '', at.settings);
  const twin = entries[dropped.get(index) ?? -1];
  if (!outcome) return named ? fileProblem(file, 'FileUnreadable', 'cannot read: no such file') : undefined;
  if (!outcome.ok) return fileProblem(file, outcome.code, outcome.message, outcome.at);
  if (twin) return sameFile(file, displayPath(twin.logical, at.settings));
  return validateOpened(file, outcome, at);
}

// Validates an opened file, reusing the cached result when nothing it depends on changed.
function validateOpened(file: string, opened: OpenedManifest, at: { settings: Settings; pass: Pass; tree: Tree | undefined }): ManifestFileResult {
  const { settings, pass, tree } = at;
  if (opened.size > settings.maxFileSize) return fileProblem(file, 'FileTooLarge', tooLarge(opened.size, settings));
  pass.read.add(opened.real);
  const toReal = (path: string): string => (tree ? realPathIn(path, tree.logical, tree.root.real) : path);
  const readEnvFile = trustedEnvReader(pass.trust, opened.owner, toReal);
  const { text } = opened;
  const key = `${file}\0${opened.stamp}\0${opened.dir}\0${pass.accounts}`;
  const cached = settings.cache?.get(opened.real);
  if (cached && cached.key === key && cached.text === text && cached.envReads.every((e) => sameRead(readEnvFile(e.path), e.read))) {
    for (const e of cached.envReads) pass.envFiles.add(toReal(e.path));
    // Read again and found as it was: from now on its signature, as of this read, vouches for it.
    if (!opened.reused) settings.cache?.set(opened.real, { ...cached, signature: opened.signature, readAt: opened.readAt });
    return cached.result;
  }
  const envReads: { path: string; read: EnvFileRead }[] = [];
  const recording: ReadEnvFile = (path) => {
    const read = readEnvFile(path);
    envReads.push({ path, read });
    return read;
  };
  const userCheck = runAsCheck(settings.asRoot, opened.owner);
  const context = { file, dir: opened.dir, uid: opened.owner.uid, gid: opened.owner.gid, readEnvFile: recording, ...(userCheck ? { userCheck } : {}) };
  const result = validateManifestText(text, context);
  for (const e of envReads) pass.envFiles.add(toReal(e.path));
  settings.cache?.set(opened.real, { key, text, signature: opened.signature, readAt: opened.readAt, envReads, result });
  return result;
}

// Drops cached files that this read did not see (deleted, or left behind by a symlink swap).
function forgetOthers(cache: ManifestCache | undefined, read: ReadonlySet<string>): void {
  if (!cache || cache.size === 0) return;
  for (const path of cache.keys()) if (!read.has(path)) cache.delete(path);
}

function sameRead(a: EnvFileRead, b: EnvFileRead): boolean {
  return a.ok && b.ok ? a.text === b.text : !a.ok && !b.ok && a.reason === b.reason && a.message === b.message;
}

// A path under one folder, mapped to the same place under another (the manifest directory as
// named and the revision being read).
function realPathIn(path: string, fromDir: string, toDir: string): string {
  if (path === fromDir) return toDir;
  return path.startsWith(fromDir + sep) ? toDir + path.slice(fromDir.length) : path;
}

function sameFile(file: string, twin: string): ManifestFileResult {
  const message = `this is the same file as ${twin}, which is read instead (remove one of the two paths)`;
  const diagnostic = makeDiagnostic({ code: 'DuplicateFile', severity: 'warning', file, at: FILE_START, message });
  return { file, ok: true, empty: false, objects: [], diagnostics: [diagnostic], dependencies: [] };
}

function fileProblem(file: string, code: DiagnosticCode, message: string, at: Position = FILE_START): ManifestFileResult {
  const diagnostic = makeDiagnostic({ code, file, at, message });
  return { file, ok: false, empty: false, objects: [], diagnostics: [diagnostic], dependencies: [] };
}

function displayPath(path: string, settings: Settings): string {
  // A file under the working directory, the usual case, without path.relative's work per file.
  const inside = settings.cwd.endsWith(sep) ? settings.cwd : settings.cwd + sep;
  if (path.startsWith(inside) && !path.startsWith('.', inside.length)) return path.slice(inside.length);
  const rel = relative(settings.cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function tooLarge(size: number, settings: Settings): string {
  const mib = (n: number): string => (n < 1024 * 1024 ? `${n} bytes` : `${(n / 1024 / 1024).toFixed(1)} MiB`);
  return `file is ${mib(size)}; the limit is ${mib(settings.maxFileSize)}`;
}

function isErrorCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
