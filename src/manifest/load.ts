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
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { TendError } from '../model/errors.ts';
import { checkManifestSet } from './check-set.ts';
import type { Incumbents, ManifestSetResult } from './check-set.ts';
import { FILE_START, makeDiagnostic } from './diagnostics.ts';
import type { DiagnosticCode, Position } from './diagnostics.ts';
import { decodeUtf8 } from './decode.ts';
import type { EnvFileRead, ReadEnvFile } from './normalize.ts';
import { validateManifestText } from './validate.ts';
import type { ManifestFileResult } from './validate.ts';

/** Per-file size limit (SPEC §5), also applied to envFrom files. */
export const MAX_MANIFEST_FILE_SIZE = 256 * 1024;

/** How manifests are read. */
export interface ReadManifestOptions {
  /**
   * Refuse manifest files and folders (and envFrom files) writable by group or others, like
   * sshd's StrictModes, and envFrom files not owned by the manifest file's owner.
   * Default: true when this process runs as root.
   */
  readonly asRoot?: boolean;
  /** Paths inside this folder are shown relative to it. Default: `process.cwd()`. */
  readonly cwd?: string;
  /** Default: {@link MAX_MANIFEST_FILE_SIZE}. */
  readonly maxFileSize?: number;
  /**
   * Results of earlier reads: a file whose text, owner and mode (and envFrom files' texts) are
   * unchanged is not parsed and validated again. A watching controller passes one cache to every
   * read, so an edit costs the edited file, not the whole directory.
   */
  readonly cache?: ManifestCache;
  /** The file that defines each running object: it keeps the object when another file redefines it. */
  readonly incumbents?: Incumbents;
}

/** Per-file results of earlier reads, by real path. */
export type ManifestCache = Map<string, CachedFile>;

interface CachedFile {
  readonly key: string;
  readonly text: string;
  /** envFrom files read while validating, with what was read. */
  readonly envReads: readonly { readonly path: string; readonly read: EnvFileRead }[];
  readonly result: ManifestFileResult;
}

/**
 * What reading a manifest directory gave. `ok: false` means the directory (or a folder in it)
 * could not be listed: an error state, never an empty desired state, so nothing is pruned
 * because a mount vanished. `ok: true` says nothing about validity: see `valid` and
 * `diagnostics`.
 */
export type ReadManifestDirResult =
  | (ManifestSetResult & {
      readonly ok: true;
      /** Absolute path of the directory as named (a symlink stays a symlink). */
      readonly dir: string;
      /** Where it pointed when it was read (differs from `dir` behind a symlink swap). */
      readonly realDir: string;
    })
  | { readonly ok: false; readonly error: TendError };

interface Settings {
  readonly asRoot: boolean;
  readonly cwd: string;
  readonly maxFileSize: number;
  readonly cache: ManifestCache | undefined;
  readonly incumbents: Incumbents | undefined;
}

/** A manifest file to read: its path as named (logical) and where to read it (real). */
interface Entry {
  readonly logical: string;
  readonly real: string;
  /** Running as root: a folder above the file that group or others can write. */
  readonly insecureFolder?: string;
}

/**
 * Reads every `.yaml`/`.yml` file under `dir`, recursively, in sorted path order, skipping
 * hidden files and folders. A symlinked `dir` is resolved once, so an atomic symlink swap
 * mid-read cannot mix two revisions; relative paths in manifests still resolve through `dir`
 * itself, so a swap alone changes no program. Never throws for OS errors: an unreadable
 * directory comes back as `{ ok: false, error }` with `error.code === 'ManifestDirUnreadable'`.
 */
export function readManifestDir(dir: string, options: ReadManifestOptions = {}): Promise<ReadManifestDirResult> {
  return new Promise((done) => done(readDirNow(dir, settingsOf(options))));
}

function readDirNow(dir: string, settings: Settings): ReadManifestDirResult {
  const logical = resolve(settings.cwd, dir);
  let realDir: string;
  const entries: Entry[] = [];
  try {
    realDir = realpathSync(logical);
    walk({ logical, real: realDir }, settings, entries, new Set());
  } catch (cause) {
    const message = `cannot read manifest directory ${displayPath(logical, settings)}: ${errorText(cause)}`;
    return { ok: false, error: new TendError('ManifestDirUnreadable', message, { cause }) };
  }
  const toReal = (path: string): string => realPathIn(path, logical, realDir);
  const files = entries.map((entry) => loadFile(entry, settings, toReal)).filter((f) => f !== undefined);
  forgetOthers(settings.cache, entries);
  return { ok: true, dir: logical, realDir, ...checkManifestSet(files, settings.incumbents) };
}

/**
 * Reads the named files (`tend validate FILES`); a folder among them is read like
 * {@link readManifestDir}. A path that cannot be read becomes a `FileUnreadable` diagnostic.
 */
export function readManifestFiles(paths: readonly string[], options: ReadManifestOptions = {}): Promise<ManifestSetResult> {
  return new Promise((done) => done(readFilesNow(paths, settingsOf(options))));
}

function readFilesNow(paths: readonly string[], settings: Settings): ManifestSetResult {
  const entries: (Entry | ManifestFileResult)[] = [];
  for (const path of paths) {
    const logical = resolve(settings.cwd, path);
    try {
      const info = statSync(logical);
      if (info.isDirectory()) {
        const found: Entry[] = [];
        walk({ logical, real: realpathSync(logical) }, settings, found, new Set());
        entries.push(...found);
      } else {
        const parent = dirname(logical);
        const insecure = settings.asRoot && isWritableByOthers(statSync(parent)) ? parent : undefined;
        entries.push({ logical, real: logical, ...(insecure ? { insecureFolder: insecure } : {}) });
      }
    } catch (cause) {
      entries.push(fileProblem(displayPath(logical, settings), 'FileUnreadable', `cannot read: ${errorText(cause)}`));
    }
  }
  const files = entries.map((e) => ('real' in e ? loadFile(e, settings, (p) => p) : e)).filter((f) => f !== undefined);
  return checkManifestSet(files);
}

function settingsOf(options: ReadManifestOptions): Settings {
  return {
    asRoot: options.asRoot ?? process.getuid?.() === 0,
    cwd: options.cwd ?? process.cwd(),
    maxFileSize: options.maxFileSize ?? MAX_MANIFEST_FILE_SIZE,
    cache: options.cache,
    incumbents: options.incumbents,
  };
}

// Depth first, sorted; throws when a folder cannot be listed (except one that vanished).
function walk(folder: { logical: string; real: string; insecure?: string }, settings: Settings, out: Entry[], seen: Set<string>): void {
  seen.add(folder.real);
  let insecure = folder.insecure;
  if (settings.asRoot && !insecure && isWritableByOthers(statSync(folder.real))) insecure = folder.logical;
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
        if (!seen.has(target)) walk({ logical, real: target, ...(insecure ? { insecure } : {}) }, settings, out, seen);
      } catch (error) {
        if (!isErrorCode(error, 'ENOENT')) throw error; // a folder removed while listing is simply gone
      }
    } else if (kind === 'file' && /\.ya?ml$/.test(dirent.name)) {
      out.push({ logical, real, ...(insecure ? { insecureFolder: insecure } : {}) });
    }
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

// One file's result; undefined when the file vanished since it was listed.
function loadFile(entry: Entry, settings: Settings, toReal: (path: string) => string): ManifestFileResult | undefined {
  const file = displayPath(entry.logical, settings);
  let info: Stats;
  let text: string;
  try {
    info = statSync(entry.real);
    const refusal = refuse(entry, info, settings);
    if (refusal) return fileProblem(file, refusal.code, refusal.message);
    const decoded = decodeUtf8(readFileSync(entry.real));
    if (!decoded.ok) return fileProblem(file, 'InvalidEncoding', decoded.message, decoded.at);
    text = decoded.text;
  } catch (cause) {
    if (isErrorCode(cause, 'ENOENT')) return undefined;
    return fileProblem(file, 'FileUnreadable', `cannot read: ${errorText(cause)}`);
  }
  if (Buffer.byteLength(text) > settings.maxFileSize) return fileProblem(file, 'FileTooLarge', tooLarge(Buffer.byteLength(text), settings));
  const readEnvFile = envFileReader(settings, info.uid, toReal);
  const key = `${file}\0${info.uid}:${info.gid}:${info.mode}`;
  const cached = settings.cache?.get(entry.real);
  if (cached && cached.key === key && cached.text === text && cached.envReads.every((e) => sameRead(readEnvFile(e.path), e.read))) {
    return cached.result;
  }
  const envReads: { path: string; read: EnvFileRead }[] = [];
  const recording: ReadEnvFile = (path) => {
    const read = readEnvFile(path);
    envReads.push({ path, read });
    return read;
  };
  const result = validateManifestText(text, { file, dir: dirname(entry.logical), uid: info.uid, gid: info.gid, readEnvFile: recording });
  settings.cache?.set(entry.real, { key, text, envReads, result });
  return result;
}

// Drops cached files that this read did not see (deleted, or left behind by a symlink swap).
function forgetOthers(cache: ManifestCache | undefined, entries: readonly Entry[]): void {
  if (!cache || cache.size === 0) return;
  const seen = new Set(entries.map((e) => e.real));
  for (const path of cache.keys()) if (!seen.has(path)) cache.delete(path);
}

function sameRead(a: EnvFileRead, b: EnvFileRead): boolean {
  return a.ok && b.ok ? a.text === b.text : !a.ok && !b.ok && a.reason === b.reason && a.message === b.message;
}

function refuse(entry: Entry, info: Stats, settings: Settings): { code: DiagnosticCode; message: string } | undefined {
  if (settings.asRoot && entry.insecureFolder) {
    const folder = displayPath(entry.insecureFolder, settings);
    return { code: 'InsecurePermissions', message: `refusing this file: folder ${folder} is writable by group or others (run chmod go-w ${folder})` };
  }
  if (settings.asRoot && isWritableByOthers(info)) {
    return { code: 'InsecurePermissions', message: `refusing this file: it is writable by group or others (mode ${modeText(info)}; run chmod go-w on it)` };
  }
  if (info.size > settings.maxFileSize) return { code: 'FileTooLarge', message: tooLarge(info.size, settings) };
  return undefined;
}

// Synchronous because normalisation is; envFrom files are few and small.
function envFileReader(settings: Settings, ownerUid: number, toReal: (path: string) => string): ReadEnvFile {
  return (path) => {
    try {
      const real = toReal(path);
      const info = statSync(real);
      if (!info.isFile()) return { ok: false, reason: 'unreadable', message: 'not a regular file' };
      if (settings.asRoot && isWritableByOthers(info)) {
        return { ok: false, reason: 'insecure', message: `it is writable by group or others (mode ${modeText(info)})` };
      }
      if (settings.asRoot && info.uid !== ownerUid) {
        return { ok: false, reason: 'insecure', message: `it is owned by uid ${info.uid}, not by the manifest file's owner (uid ${ownerUid})` };
      }
      if (info.size > settings.maxFileSize) return { ok: false, reason: 'unreadable', message: tooLarge(info.size, settings) };
      const decoded = decodeUtf8(readFileSync(real));
      return decoded.ok ? { ok: true, text: decoded.text } : { ok: false, reason: 'unreadable', message: `line ${decoded.at.line}: ${decoded.message}` };
    } catch (cause) {
      return { ok: false, reason: isErrorCode(cause, 'ENOENT') ? 'missing' : 'unreadable', message: errorText(cause) };
    }
  };
}

// A path under the directory as named, mapped into the revision that is being read.
function realPathIn(path: string, logicalDir: string, realDir: string): string {
  return path.startsWith(logicalDir + sep) ? realDir + path.slice(logicalDir.length) : path;
}

function fileProblem(file: string, code: DiagnosticCode, message: string, at: Position = FILE_START): ManifestFileResult {
  const diagnostic = makeDiagnostic({ code, file, at, message });
  return { file, ok: false, empty: false, objects: [], diagnostics: [diagnostic], dependencies: [] };
}

function displayPath(path: string, settings: Settings): string {
  const rel = relative(settings.cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function isWritableByOthers(info: Stats): boolean {
  return (info.mode & 0o022) !== 0;
}

function modeText(info: Stats): string {
  return `0${(info.mode & 0o777).toString(8)}`;
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
