/**
 * Reads `/proc/<pid>/stat` and `/proc/stat`: the process start time that guards against pid
 * reuse, the process group, and the boot time that turns start ticks into wall-clock time.
 * Synchronous on purpose: one small read, on the spawn and adoption paths only.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

/** `sysconf(_SC_CLK_TCK)`: 100 on every Linux architecture Node runs on. */
export const CLOCK_TICKS_PER_SECOND = 100;

/** The fields of `/proc/<pid>/stat` tend uses. */
export interface ProcStat {
  /** One letter: R, S, D, Z (zombie), T, X, ... */
  readonly state: string;
  readonly ppid: number;
  /** Process group id; equals the pid for a group leader. */
  readonly pgid: number;
  /** Field 22: start time in clock ticks since boot. */
  readonly startTicks: number;
}

/**
 * Parses the text of `/proc/<pid>/stat`. The command name (field 2) may hold spaces and
 * parentheses, so the fields are counted from after the last `)`.
 * @example parseProcStat('42 (a) b)) S 1 42 42 0 -1 ...') // { state: 'S', ppid: 1, pgid: 42, ... }
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ") ": field 3 (state) is index 0, so field N is index N - 3.
  const fields = text.slice(close + 2).split(' ');
  const state = fields[0];
  const ppid = Number(fields[1]);
  const pgid = Number(fields[2]);
  const startTicks = Number(fields[19]);
  if (!state || !Number.isInteger(ppid) || !Number.isInteger(pgid) || !Number.isInteger(startTicks)) {
    return undefined;
  }
  return { state, ppid, pgid, startTicks };
}

// One read into a reused buffer: half the cost of readFileSync, which sizes and concatenates.
const statBuffer = Buffer.alloc(4096);

/** The stat of a live or zombie process; undefined when there is no such process. */
export function readProcStat(pid: number): ProcStat | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return undefined;
  }
  try {
    const length = readSync(fd, statBuffer, 0, statBuffer.length, 0);
    return parseProcStat(statBuffer.toString('latin1', 0, length));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** True when the process has terminated but is not reaped yet (or is being torn down). */
export function isDead(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X' || stat.state === 'x';
}

/** Boot time in ms since the epoch, from the `btime` line of `/proc/stat`; 0 when unreadable. */
export function readBootTimeMs(): number {
  try {
    const match = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    return match?.[1] ? Number(match[1]) * 1000 : 0;
  } catch {
    return 0;
  }
}

/** Converts start ticks since boot into ms since the epoch. */
export function ticksToEpochMs(startTicks: number, bootTimeMs: number): number {
  return bootTimeMs + Math.round((startTicks * 1000) / CLOCK_TICKS_PER_SECOND);
}
