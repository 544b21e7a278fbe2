/**
 * Per-process figures between two samples, and their sum over a process group. Pure. Times are
 * ms since boot (the time base of `/proc`), so a process's age comes straight from its start ticks.
 *
 * Rates (CPU, disk) are the growth of a process's counters since its previous sample over the
 * time between; a process seen for the first time is averaged over its lifetime.
 */
import type { ResourceUsage } from '../model/usage.ts';
import { TICKS_PER_SECOND, type IoBytes, type StatUsage } from './proc-parse.ts';

const MS_PER_TICK = 1000 / TICKS_PER_SECOND;
const MIN_AGE_MS = 100;

/**
 * A process that used no CPU since its previous sample can hardly have opened files or done I/O
 * itself, so its fds, sockets and I/O counters are read again only when its CPU time grew, and at
 * least this often (ms) for changes too small to show as a tick of CPU.
 */
export const DETAIL_MAX_AGE_MS = 60_000;

/** The costlier figures of a process: its fd links and `/proc/PID/io`. */
export interface PidDetail {
  readonly fds: number;
  readonly sockets: number;
  /** Absent when `/proc/PID/io` could not be read (another user's process). */
  readonly io?: IoBytes;
}

/** What the monitor knows of one process after a sample. */
export interface PidSample {
  readonly stat: StatUsage;
  /** ms since boot. */
  readonly at: number;
  /** Percent of one core since the previous sample. */
  readonly cpu: number;
  readonly detail: PidDetail;
  /** When `detail` was read, ms since boot. */
  readonly detailAt: number;
  readonly readBps?: number;
  readonly writeBps?: number;
}

/** True when the detail of a process must be read in a sample taken at `now` (ms since boot). */
export function needsDetail(stat: StatUsage, before: PidSample | undefined, now: number): boolean {
  if (!before || before.stat.startTicks !== stat.startTicks) return true;
  return before.stat.cpuTicks !== stat.cpuTicks || now - before.detailAt >= DETAIL_MAX_AGE_MS;
}

/**
 * The sample of one process from a fresh `stat`, the detail when it was read, and its previous
 * sample (ignored when the pid now names another process).
 * @example pidSample(stat, undefined, uptimeMs, detail).cpu // lifetime average, percent of one core
 */
export function pidSample(stat: StatUsage, before: PidSample | undefined, now: number, detail: PidDetail | undefined): PidSample {
  const same = before !== undefined && before.stat.startTicks === stat.startTicks ? before : undefined;
  // Ages are known to a tick only; a process younger than MIN_AGE_MS is averaged over that much.
  const age = Math.max(MIN_AGE_MS, now - stat.startTicks * MS_PER_TICK);
  const ticks = stat.cpuTicks - (same?.stat.cpuTicks ?? 0);
  const cpu = round2((Math.max(0, ticks) * MS_PER_TICK * 100) / Math.max(1, same ? now - same.at : age));
  if (!detail && same) return withFigures(same, stat, now, cpu);
  const fresh = detail ?? { fds: 0, sockets: 0 };
  const io = fresh.io;
  if (!io) return { stat, at: now, cpu, detail: fresh, detailAt: now };
  const base = same?.detail.io;
  const seconds = Math.max(1, base && same ? now - same.detailAt : age) / 1000;
  const readBps = Math.round(Math.max(0, io.readBytes - (base?.readBytes ?? 0)) / seconds);
  const writeBps = Math.round(Math.max(0, io.writeBytes - (base?.writeBytes ?? 0)) / seconds);
  return { stat, at: now, cpu, detail: fresh, detailAt: now, readBps, writeBps };
}

/** The usage of a process group: the sum over its members' samples. */
export function groupUsage(members: readonly PidSample[], pageSize: number): ResourceUsage {
  let cpu = 0, memory = 0, fds = 0, threads = 0, sockets = 0, read = 0, written = 0, ioSeen = false;
  for (const m of members) {
    cpu += m.cpu;
    memory += m.stat.rssPages * pageSize;
    threads += m.stat.threads;
    fds += m.detail.fds;
    sockets += m.detail.sockets;
    if (m.readBps === undefined || m.writeBps === undefined) continue;
    ioSeen = true;
    read += m.readBps;
    written += m.writeBps;
  }
  // Built whole, not spread: this runs for every instance each interval.
  return ioSeen
    ? { cpu: round2(cpu), memory, fds, threads, sockets, diskReadBps: read, diskWriteBps: written }
    : { cpu: round2(cpu), memory, fds, threads, sockets };
}

// The previous sample's detail and disk rates with a fresh stat.
function withFigures(before: PidSample, stat: StatUsage, now: number, cpu: number): PidSample {
  const { detail, detailAt, readBps, writeBps } = before;
  return readBps === undefined || writeBps === undefined
    ? { stat, at: now, cpu, detail, detailAt }
    : { stat, at: now, cpu, detail, detailAt, readBps, writeBps };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
