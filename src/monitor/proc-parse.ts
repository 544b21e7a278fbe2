/**
 * Parsers for the `/proc` files the monitor reads. Pure: text in, numbers out, so every figure
 * can be checked against fixtures without a running process.
 */
/** `sysconf(_SC_CLK_TCK)`: 100 on every Linux architecture Node runs on. */
export const TICKS_PER_SECOND = 100;

/** The fields of `/proc/PID/stat` the monitor uses. */
export interface StatUsage {
  /** One letter: R, S, D, Z (zombie), ... */
  readonly state: string;
  readonly pgid: number;
  /** Field 22: start time in clock ticks since boot; tells a reused pid from the old one. */
  readonly startTicks: number;
  /** utime + stime, in clock ticks. */
  readonly cpuTicks: number;
  readonly threads: number;
  /** Resident pages (field 24). */
  readonly rssPages: number;
}

/**
 * Parses the text of `/proc/PID/stat`. The command name (field 2) may hold spaces and
 * parentheses, so fields are counted from after the last `)`.
 * @example parseStatUsage('7 (a b) S 1 7 7 0 -1 0 0 0 0 0 120 30 0 0 20 0 3 0 500 0 256 ...').cpuTicks // 150
 */
export function parseStatUsage(text: string): StatUsage | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0 || close + 2 >= text.length) return undefined;
  const state = text.charAt(close + 2);
  // Walks the fields once instead of splitting: this runs for every sampled process each interval.
  const wanted = [0, 0, 0, 0, 0, 0];
  let field = 3;
  let value = 0;
  let digits = 0;
  let slot = 0;
  for (let i = close + 4; i <= text.length && slot < STAT_FIELDS.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
      continue;
    }
    if (c === 45) {
      // A negative number (tty_nr, priority): none of the wanted fields is ever one.
      value = NaN;
      continue;
    }
    if (c !== 32 && c !== 10) return undefined;
    field++;
    if (field === STAT_FIELDS[slot]) wanted[slot++] = digits > 0 ? value : NaN;
    value = 0;
    digits = 0;
  }
  const [pgid, utime, stime, threads, startTicks, rssPages] = wanted as [number, number, number, number, number, number];
  if (slot < STAT_FIELDS.length || !wanted.every(Number.isFinite)) return undefined;
  return { state, pgid, startTicks, cpuTicks: utime + stime, threads, rssPages };
}

// pgrp, utime, stime, num_threads, starttime, rss (1-based field numbers of proc(5)), ascending.
const STAT_FIELDS = [5, 14, 15, 20, 22, 24];

/** Storage I/O of one process, from `/proc/PID/io`. */
export interface IoBytes {
  readonly readBytes: number;
  readonly writeBytes: number;
}

/** Parses `/proc/PID/io`: `read_bytes` and `write_bytes` (what reached the storage layer). */
export function parseIo(text: string): IoBytes | undefined {
  const read = /^read_bytes: (\d+)$/m.exec(text)?.[1];
  const write = /^write_bytes: (\d+)$/m.exec(text)?.[1];
  return read === undefined || write === undefined ? undefined : { readBytes: Number(read), writeBytes: Number(write) };
}

/** How many of the fd link targets (`readlink /proc/PID/fd/N`) are sockets (`socket:[12345]`). */
export function countSockets(links: readonly string[]): number {
  let n = 0;
  for (const link of links) if (link.startsWith('socket:')) n++;
  return n;
}

/** Parses `/proc/uptime` (seconds since boot, two decimals) into ms. */
export function parseUptimeMs(text: string): number | undefined {
  const seconds = Number(text.slice(0, text.indexOf(' ')));
  return text.includes(' ') && Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined;
}
