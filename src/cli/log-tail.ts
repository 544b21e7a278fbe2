/** The last lines of an instance's log files, for the dashboard's live log tail. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { findLogFiles } from './commands/logs.ts';

/** At most this much of each file's end is read. */
const TAIL_BYTES = 64 * 1024;

/** An instance's last lines per stream. */
export interface LogTail {
  readonly instance: string;
  readonly stdout: string[];
  readonly stderr: string[];
}

/** The last `lines` lines of `instance`'s stdout and stderr; undefined when it has no log files. */
export function readLogTail(stateDir: string, instance: string, lines: number): LogTail | undefined {
  const files = findLogFiles(join(stateDir, 'logs'), instance).filter((f) => f.instance === instance);
  if (files.length === 0) return undefined;
  const tail: LogTail = { instance, stdout: [], stderr: [] };
  for (const f of files) tail[f.stream].push(...lastLines(f.path, lines));
  return tail;
}

function lastLines(path: string, count: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - from);
    const n = readSync(fd, buffer, 0, buffer.length, from);
    const lines = buffer.subarray(0, n).toString('utf8').split('\n');
    if (from > 0) lines.shift();
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}
