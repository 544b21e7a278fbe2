/**
 * The state dir lock: two controllers never manage the same state dir. A lock file created with
 * O_EXCL names the holder's pid and process start time; a lock whose holder is gone (exited, a
 * zombie, or whose pid now belongs to another process) is stale and taken over.
 */
import { openSync, readFileSync, unlinkSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning, readStartTicks } from './proc.ts';

export type LockResult = { readonly ok: true; readonly release: () => void } | { readonly ok: false; readonly holderPid: number };

/** Tries to take `<stateDir>/lock`. */
export function acquireLock(stateDir: string): LockResult {
  const path = join(stateDir, 'lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid} ${readStartTicks(process.pid) ?? 0}\n`);
      fsyncSync(fd);
      closeSync(fd);
      return { ok: true, release: () => releaseLock(path) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      if (holder && isAlive(holder.pid, holder.ticks)) return { ok: false, holderPid: holder.pid };
      try {
        unlinkSync(path);
      } catch {
        // Another contender removed it first; try again.
      }
    }
  }
  return { ok: false, holderPid: readHolder(path)?.pid ?? 0 };
}

function releaseLock(path: string): void {
  const holder = readHolder(path);
  if (holder?.pid !== process.pid) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function readHolder(path: string): { pid: number; ticks: number } | undefined {
  try {
    const [pid, ticks] = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
    return pid ? { pid, ticks: ticks ?? 0 } : undefined;
  } catch {
    return undefined;
  }
}

// A holder killed by SIGKILL may linger as a zombie until its parent reaps it: that is gone too.
function isAlive(pid: number, ticks: number): boolean {
  const current = readStartTicks(pid);
  return current !== undefined && (ticks === 0 || current === ticks) && isRunning(pid);
}
