/**
 * `tend logs NAME[-i]`: prints an instance's stdout and stderr log files from the state dir (they
 * are written by the programs themselves, so they are there whether or not a controller runs).
 * A bare object name prints every instance of it, each line prefixed with the instance.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../../manifest/normalize.ts';
import { UsageError, type CliContext } from '../context.ts';

/** One log file of an instance. */
export interface LogFile {
  readonly instance: string;
  readonly stream: 'stdout' | 'stderr';
  readonly path: string;
}

/** Runs `tend logs`. */
export async function run(ctx: CliContext, values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const [target] = positionals;
  if (!target) throw new UsageError('logs needs an instance or object name, e.g. tend logs web-0');
  const stream = (values.stream as string | undefined) ?? 'all';
  if (!['all', 'stdout', 'stderr'].includes(stream)) throw new UsageError(`--stream must be stdout or stderr (got "${stream}")`);
  const tail = values.tail === undefined ? undefined : Number(values.tail);
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw new UsageError(`--tail takes a whole number (got "${String(values.tail)}")`);
  const sinceMs = values.since === undefined ? undefined : sinceOf(values.since as string);
  const files = findLogFiles(join(ctx.stateDir, 'logs'), target.replace(/^process\//, '')).filter(
    (f) => stream === 'all' || f.stream === stream,
  );
  if (files.length === 0) {
    process.stderr.write(`tend: no logs for "${target}" in ${join(ctx.stateDir, 'logs')}\n`);
    return 1;
  }
  const prefix = new Set(files.map((f) => f.instance)).size > 1;
  const offsets = files.map((f) => printExisting(f, prefix, tail, sinceMs));
  if (values.follow) await follow(files, offsets, prefix);
  return 0;
}

function sinceOf(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`--since takes a duration like 10m (got "${text}")`);
  return Date.now() - ms;
}

// NAME itself, a replacement or fallback of instance NAME (`web-0.2`, `web-0.fallback`), or,
// for an object NAME, any of its instances (`web-0`, `web-0.2`, `web-1.fallback`).
function isInstanceOf(instance: string, name: string): boolean {
  if (instance === name) return true;
  const suffix = /^(?:\.\d+|\.fallback)$/;
  if (instance.startsWith(`${name}.`) && suffix.test(instance.slice(name.length))) return true;
  const rest = instance.startsWith(`${name}-`) ? instance.slice(name.length + 1) : '';
  return /^\d+(?:\.\d+|\.fallback)?$/.test(rest);
}

/** The instance's own files when NAME is an instance, else every instance `NAME-<i>`. */
export function findLogFiles(dir: string, name: string): LogFile[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const pattern = /^(.*)\.(out|err)\.log$/;
  const files = entries.flatMap((entry): LogFile[] => {
    const match = pattern.exec(entry);
    if (!match?.[1]) return [];
    const instance = match[1];
    if (!isInstanceOf(instance, name)) return [];
    return [{ instance, stream: match[2] === 'out' ? 'stdout' : 'stderr', path: join(dir, entry) }];
  });
  const exact = files.filter((f) => f.instance === name);
  return (exact.length > 0 ? exact : files).sort((a, b) => a.instance.localeCompare(b.instance, 'en', { numeric: true }));
}

// Prints the file's last `tail` lines (all when undefined); returns the offset reached.
function printExisting(file: LogFile, prefix: boolean, tail: number | undefined, sinceMs: number | undefined): number {
  const size = fileSize(file.path);
  if (sinceMs !== undefined && mtimeOf(file.path) < sinceMs) return size;
  const text = readRange(file.path, 0, size);
  let lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (tail !== undefined) lines = tail === 0 ? [] : lines.slice(-tail);
  writeLines(file, lines, prefix);
  return size;
}

// Polls the files for growth (and truncation by rotation) until interrupted.
async function follow(files: readonly LogFile[], offsets: number[], prefix: boolean): Promise<void> {
  const partial = files.map(() => '');
  for (;;) {
    files.forEach((file, i) => {
      const size = fileSize(file.path);
      const from = size < (offsets[i] ?? 0) ? 0 : (offsets[i] ?? 0);
      if (size === from) return;
      const text = (partial[i] ?? '') + readRange(file.path, from, size);
      offsets[i] = size;
      const lines = text.split('\n');
      partial[i] = lines.pop() ?? '';
      writeLines(file, lines, prefix);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function writeLines(file: LogFile, lines: readonly string[], prefix: boolean): void {
  if (lines.length === 0) return;
  const out = file.stream === 'stderr' ? process.stderr : process.stdout;
  const head = prefix ? `[${file.instance}] ` : '';
  out.write(lines.map((l) => `${head}${l}\n`).join(''));
}

function readRange(path: string, from: number, to: number): string {
  if (to <= from) return '';
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(to - from);
    const n = readSync(fd, buffer, 0, buffer.length, from);
    return buffer.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
