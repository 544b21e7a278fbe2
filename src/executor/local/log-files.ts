/**
 * Log files of instances: `<stateDir>/logs/<instance>.out.log` and `.err.log`, opened with
 * O_APPEND and handed to the child as its stdout/stderr, so the program keeps logging after the
 * controller exits. Rotation is copytruncate style, because the child holds the descriptor.
 */
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { copyFile, rename, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogPolicy } from '../../model/object.ts';
import { readFileTail } from '../../platform/file-tail.ts';

/** The stdout and stderr log paths of an instance. */
export function logPaths(stateDir: string, instance: string): { readonly out: string; readonly err: string } {
  const dir = join(stateDir, 'logs');
  return { out: join(dir, `${instance}.out.log`), err: join(dir, `${instance}.err.log`) };
}

const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;

/** Opens both log files for appending (creating the folder on demand); the caller closes the fds. */
export function openLogFiles(stateDir: string, instance: string): { readonly out: number; readonly err: number } {
  const paths = logPaths(stateDir, instance);
  try {
    return openPair(paths.out, paths.err);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(join(stateDir, 'logs'), { recursive: true, mode: 0o750 });
    return openPair(paths.out, paths.err);
  }
}

/** Closes the parent's copies of log fds once a child holds them; an fd closed already is fine. */
export function closeLogFds(...fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // Already closed: nothing to release.
    }
  }
}

function openPair(outPath: string, errPath: string): { readonly out: number; readonly err: number } {
  const out = openSync(outPath, APPEND_FLAGS, 0o640);
  try {
    return { out, err: openSync(errPath, APPEND_FLAGS, 0o640) };
  } catch (error) {
    closeSync(out);
    throw error;
  }
}

/**
 * Rotates `path` when it is larger than `policy.maxSizeBytes`: `.1` → `.2` … up to
 * `policy.maxFiles` (the oldest dropped), the file copied to `.1`, then truncated in place.
 * A failed copy (a full disk) still truncates, so logging degrades instead of stopping; the
 * first error is rethrown afterwards for the caller to report. Resolves true when it rotated.
 */
export async function rotateLogFile(path: string, policy: LogPolicy): Promise<boolean> {
  const size = await fileSize(path);
  if (size <= policy.maxSizeBytes) return false;
  let failure: Error | undefined;
  try {
    await shiftRotated(path, policy.maxFiles);
    if (policy.maxFiles > 0) await copyFile(path, `${path}.1`);
  } catch (error) {
    failure = error as Error;
    await rm(`${path}.1`, { force: true }).catch(() => undefined);
  }
  await truncate(path, 0);
  if (failure) throw failure;
  return true;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

// Renames .N-1 → .N down to .1 → .2; .maxFiles is overwritten, which drops the oldest.
async function shiftRotated(path: string, maxFiles: number): Promise<void> {
  for (let index = maxFiles - 1; index >= 1; index -= 1) {
    try {
      await rename(`${path}.${index}`, `${path}.${index + 1}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/** The stderr lines kept with a failure. */
export const STDERR_TAIL_LINES = 5;
const TAIL_BYTES = 4096;

/** The last `lines` lines of a log file (at most its last 4 KiB); empty when unreadable. */
export function readLogTail(path: string, lines: number): string {
  const tail = readFileTail(path, TAIL_BYTES);
  return tail ? tail.text.replace(/\n$/, '').split('\n').slice(-lines).join('\n') : '';
}
