/** Small readers of `/proc` shared by the platform code. */
import { readFileSync } from 'node:fs';

/**
 * Start time of `pid` in clock ticks since boot (`/proc/PID/stat` field 22), or undefined when
 * no such process exists. The command name may hold spaces and parentheses, so fields are
 * counted after the last `)`.
 */
export function readStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state), so field 22 is fields[19].
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True while `pid` exists and has not exited: a zombie (exited, not yet reaped by its parent)
 * has a `/proc/PID/stat` too, with state `Z`, and must count as gone.
 */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X' && state !== 'x';
  } catch {
    return false;
  }
}
