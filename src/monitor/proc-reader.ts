/**
 * Reads `/proc` for the monitor: the pid list, each process's `stat`, `io` and fd links.
 * Synchronous reads into one reused buffer: per file that is an open, a read and a close, far
 * cheaper than the thread-pool round trip of the async API, and no `ps` is ever spawned.
 * Must not: decide anything, or keep state between samples.
 */
import { closeSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';

/** Where the monitor reads process figures from; tests pass a fake. */
export interface ProcSource {
  /** Every pid on the machine. */
  pids(): number[];
  /**
   * Text of `/proc/PID/stat`; undefined when the process is gone. With `keep`, the file stays open
   * for the next read (until {@link ProcSource.retain} drops it).
   */
  stat(pid: number, keep: boolean): string | undefined;
  /** Closes the files kept open for pids not in `pids`. */
  retain(pids: ReadonlySet<number> | ReadonlyMap<number, unknown>): void;
  /** Text of `/proc/PID/io`; undefined when gone or not readable (another user's process). */
  io(pid: number): string | undefined;
  /** Targets of the links in `/proc/PID/fd`; undefined when gone or not readable. */
  fdLinks(pid: number): string[] | undefined;
  /** Text of `/proc/uptime`. */
  uptime(): string | undefined;
  /** Bytes per memory page (RSS in `stat` is counted in pages). */
  pageSize(): number;
}

// `stat` and `io` are well under 1 KiB; one buffer serves every read.
const buffer = Buffer.alloc(4096);

/** The machine's `/proc`. */
export const procSource: ProcSource = {
  pids() {
    const pids: number[] = [];
    for (const name of listQuietly('/proc')) {
      const code = name.charCodeAt(0);
      if (code >= 48 && code <= 57) pids.push(Number(name));
    }
    return pids;
  },
  stat: (pid, keep) => readStat(pid, keep),
  retain(pids) {
    for (const [pid, fd] of held) {
      if (pids.has(pid)) continue;
      held.delete(pid);
      closeQuietly(fd);
    }
  },
  io: (pid) => readSmall(`/proc/${pid}/io`),
  uptime: () => readSmall('/proc/uptime'),
  fdLinks(pid) {
    const dir = `/proc/${pid}/fd`;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return undefined;
    }
    const links: string[] = [];
    for (const name of names) {
      try {
        links.push(readlinkSync(`${dir}/${name}`));
      } catch {
        // Closed between the listing and the read.
      }
    }
    return links;
  },
  pageSize() {
    pageBytes ??= Number(/^KernelPageSize:\s+(\d+) kB$/m.exec(readSmall('/proc/self/smaps') ?? '')?.[1] ?? 4) * 1024;
    return pageBytes;
  },
};

let pageBytes: number | undefined;

// Open `stat` files of the processes sampled every interval: a read on an open file is a third of
// the cost of open, read and close, and /proc is where opening is dear. A file held for a process
// that has exited fails the read (the pid may have been reused), so it is reopened by path.
const held = new Map<number, number>();
let heldBudget: number | undefined;

function readStat(pid: number, keep: boolean): string | undefined {
  const fd = held.get(pid);
  if (fd !== undefined) {
    try {
      return buffer.toString('latin1', 0, readSync(fd, buffer, 0, buffer.length, 0));
    } catch {
      held.delete(pid);
      closeQuietly(fd);
    }
  }
  if (!keep || held.size >= budget()) return readSmall(`/proc/${pid}/stat`);
  let opened: number;
  try {
    opened = openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return undefined;
  }
  held.set(pid, opened);
  return readStat(pid, false);
}

// At most a quarter of the open-files limit is held, so spawning and logging never run short.
function budget(): number {
  heldBudget ??= Math.floor(Number(/^Max open files\s+(\d+)/m.exec(readSmall('/proc/self/limits') ?? '')?.[1] ?? 1024) / 4);
  return heldBudget;
}

function listQuietly(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}

function readSmall(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.toString('latin1', 0, length);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
