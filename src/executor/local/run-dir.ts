/**
 * The run dir, `<stateDir>/run/`: per instance started through the spawn helper, `<token>.run`
 * (pid, start time, shim pid, cgroup, identity) written once the program runs, and
 * `<token>.exit` (code, signal, time) written by its shim when it ends, also while no controller
 * runs, and `<token>.order`, a standing order the controller leaves for the shim. All are
 * written atomically (temp file, rename). Must not: throw.
 */
import { existsSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cancel, Clock } from '../../platform/clock.ts';
import { parseExitFile, parseRunFile, type RunRecord, type ShimExit } from './shim-protocol.ts';

/** The run dir of a state dir. */
export function runDirOf(stateDir: string): string {
  return join(stateDir, 'run');
}

/** A run file found in the run dir, with its exit file when there is one. */
export interface RunEntry {
  readonly token: string;
  readonly run: RunRecord;
  readonly exit: ShimExit | undefined;
}

/** Every complete run file of the run dir. */
export function readRunDir(runDir: string): RunEntry[] {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return [];
  }
  const entries: RunEntry[] = [];
  for (const name of names) {
    if (!name.endsWith('.run')) continue;
    const token = name.slice(0, -'.run'.length);
    const run = parseRunFile(readOrEmpty(join(runDir, name)));
    if (run) entries.push({ token, run, exit: readExit(runDir, token) });
  }
  return entries;
}

/**
 * The exit file of `token`, once complete. Most looks find no file (every start looks once), so
 * asking first costs no thrown error; `present` (the watch just saw it appear) skips the asking.
 */
export function readExit(runDir: string, token: string, present = false): ShimExit | undefined {
  const path = join(runDir, `${token}.exit`);
  return present || existsSync(path) ? parseExitFile(readOrEmpty(path)) : undefined;
}

/** The run file of `token`, once complete. */
export function readRun(runDir: string, token: string): RunRecord | undefined {
  return parseRunFile(readOrEmpty(join(runDir, `${token}.run`)));
}

/** Where the standing order of the instance `token` is left for its shim. */
export function orderPathOf(runDir: string, token: string): string {
  return join(runDir, `${token}.order`);
}

/**
 * Removes the files of `token`, a standing order left armed too (one unlink each, on every
 * restart: not `rmSync`, whose removal first asks what each path is).
 */
export function removeRunFiles(runDir: string, token: string): void {
  for (const path of runFilePaths(runDir, token)) unlinkQuietly(path);
}

/** How long the files of an ended run may wait to be removed with those of others. */
export const SWEEP_MS = 50;

/**
 * The files of ended runs, removed a little later and together: one turn of synchronous unlinks
 * (a few µs each) at most every {@link SWEEP_MS}, not on the restart that replaces the run. Three
 * thread-pool jobs per restart cost more CPU than the unlinks themselves (a thread woken for
 * each), and on a busy machine each woken thread could take the controller's core mid-restart.
 * A file left behind (the controller gone first) is found by the next controller's scan.
 */
export class RunFileSweep {
  readonly #runDir: string;
  readonly #clock: Pick<Clock, 'after'>;
  #paths: string[] = [];
  #cancel: Cancel | undefined;

  constructor(runDir: string, clock: Pick<Clock, 'after'>) {
    this.#runDir = runDir;
    this.#clock = clock;
  }

  /** The files of `token` go with the next sweep. */
  add(token: string): void {
    for (const path of runFilePaths(this.#runDir, token)) this.#paths.push(path);
    this.#cancel ??= this.#clock.after(SWEEP_MS, () => this.flush());
  }

  /** Removes every file waiting now. */
  flush(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    const paths = this.#paths;
    this.#paths = [];
    for (const path of paths) unlinkQuietly(path);
  }
}

function runFilePaths(runDir: string, token: string): readonly string[] {
  return [join(runDir, `${token}.run`), join(runDir, `${token}.exit`), orderPathOf(runDir, token)];
}

/**
 * Writes `text` to `path` (mode 0600) whole or not at all: a temp file beside it, renamed over it,
 * so a reader (a shim taking its order, a sweep reading a claim) never sees it half written.
 * False when it could not be written.
 */
export function writeFileWhole(path: string, text: string | Uint8Array): boolean {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, text, { mode: 0o600 });
    renameSync(temp, path);
    return true;
  } catch {
    unlinkQuietly(temp);
    return false;
  }
}

/**
 * Removes a file; one that is gone already is not an error, nor one that cannot be removed (it is
 * found again by the next controller's scan of the run dir).
 */
export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already, or left for the next scan.
  }
}

// The file's text; '' when it is gone (it may go between a look and the read).
function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}
