/** The last lines of an instance's log files, for the dashboard's live log tail. */
import { join } from 'node:path';
import { readFileTail } from '../platform/file-tail.ts';

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
  // The instance's two files by name: no listing of a folder holding every instance's logs.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(instance)) return undefined;
  const dir = join(stateDir, 'logs');
  const stdout = lastLines(join(dir, `${instance}.out.log`), lines);
  const stderr = lastLines(join(dir, `${instance}.err.log`), lines);
  if (stdout === undefined && stderr === undefined) return undefined;
  return { instance, stdout: stdout ?? [], stderr: stderr ?? [] };
}

// Undefined when the file does not exist.
function lastLines(path: string, count: number): string[] | undefined {
  const tail = readFileTail(path, TAIL_BYTES);
  if (!tail) return undefined;
  const lines = tail.text.split('\n');
  // A cut file starts mid-line.
  if (tail.cut) lines.shift();
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-count);
}
