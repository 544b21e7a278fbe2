/** A fake `/proc` for the monitor's tests: processes as plain figures, rendered as the kernel writes them. */
import type { ProcSource } from '../../src/monitor/proc-reader.ts';

export interface FakeProcess {
  pid: number;
  pgid: number;
  state?: string;
  /** Clock ticks. */
  utime?: number;
  stime?: number;
  threads?: number;
  /** Clock ticks since boot. */
  start?: number;
  rssPages?: number;
  links?: string[];
  /** Undefined: `/proc/PID/io` unreadable. */
  io?: { read: number; write: number };
}

/** A `/proc/PID/stat` line; the command name holds spaces and parentheses on purpose. */
export function statLine(p: FakeProcess): string {
  const f = [p.state ?? 'S', 1, p.pgid, p.pgid, 0, -1, 4194304, 10, 0, 0, 0, p.utime ?? 0, p.stime ?? 0, 0, 0, 20, 0, p.threads ?? 1, 0, p.start ?? 100, 9_999_999, p.rssPages ?? 0, '18446744073709551615', 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 1];
  return `${p.pid} (my (odd) prog) ${f.join(' ')}\n`;
}

/** `/proc/PID/io` text. */
export function ioText(read: number, write: number): string {
  return `rchar: 9000\nwchar: 8000\nsyscr: 10\nsyscw: 20\nread_bytes: ${read}\nwrite_bytes: ${write}\ncancelled_write_bytes: 0\n`;
}

/** A ProcSource over `processes`, at `uptimeMs` since boot; counts the reads it serves. */
export function fakeProc(processes: FakeProcess[], uptimeMs: { value: number }): ProcSource & { reads: { stat: number; detail: number } } {
  const find = (pid: number): FakeProcess | undefined => processes.find((p) => p.pid === pid);
  const reads = { stat: 0, detail: 0 };
  return {
    reads,
    pids: () => processes.map((p) => p.pid),
    stat(pid) {
      reads.stat++;
      const p = find(pid);
      return p ? statLine(p) : undefined;
    },
    retain: () => undefined,
    io(pid) {
      const io = find(pid)?.io;
      return io ? ioText(io.read, io.write) : undefined;
    },
    fdLinks(pid) {
      reads.detail++;
      return find(pid)?.links;
    },
    uptime: () => `${(uptimeMs.value / 1000).toFixed(2)} 12345.67\n`,
    pageSize: () => 4096,
  };
}
