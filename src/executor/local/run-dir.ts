/**
 * The run dir, `<stateDir>/run/`: per instance started through the spawn helper, `<token>.run`
 * (pid, start time, shim pid, cgroup, identity) written once the program runs, and
 * `<token>.exit` (code, signal, time) written by its shim when it ends, also while no controller
 * runs, and `<token>.order`, a standing order the controller leaves for the shim. All are
 * written atomically (temp file, rename). Must not: throw.
 */
import { existsSync, readFileSync, readdirSync, unlink, unlinkSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * {@link removeRunFiles} off the event loop: the unlinks run in libuv's thread pool and nothing
 * waits for them, so a restart does not wait on the disk for the files of the run it replaces.
 * A file left behind (the controller gone first) is found by the next controller's scan.
 */
export function removeRunFilesLater(runDir: string, token: string): void {
  for (const path of runFilePaths(runDir, token)) unlink(path, leftForTheScan);
}

function runFilePaths(runDir: string, token: string): readonly string[] {
  return [join(runDir, `${token}.run`), join(runDir, `${token}.exit`), orderPathOf(runDir, token)];
}

// Gone already, or left for the next scan.
function leftForTheScan(): void {}

// Removes a file; one that is gone already is not an error, nor one that cannot be removed (it is
// found again by the next controller's scan of the run dir).
function unlinkQuietly(path: string): void {
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
