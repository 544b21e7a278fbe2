/**
 * Appending lines to the event log file, whatever the disk does. Rotation is decided per write,
 * by size: no write makes the file grow past the limit by more than one line (a burst is split
 * across files). A write error (ENOSPC, EIO, a removed folder) keeps the lines in a bounded
 * buffer and tries again at the next line after a pause, reopening the file, so the log recovers
 * when space returns; `onChange` hears of each outage and recovery once.
 */
import { closeSync, openSync, renameSync, statSync, write } from 'node:fs';

/** Where an appender stands, for its owner to report. */
export type AppenderChange =
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'recovered'; readonly dropped: number };

export interface Appender {
  append(line: string): void;
  /** Writes what is buffered; resolves when written (or when writing failed for now). */
  flush(): Promise<void>;
  close(): void;
}

export interface AppenderOptions {
  readonly path: string;
  /** Size past which the file is renamed to `<path>.1`. */
  readonly rotateBytes: number;
  /** Lines kept while the file cannot be written; the oldest are dropped beyond it. */
  readonly maxBufferedBytes: number;
  /** Pause after a failed write before the next try. */
  readonly retryMs: number;
  readonly now: () => number;
  readonly onChange: (change: AppenderChange) => void;
}

/** An appender to `options.path` (opened on first write, mode 0600). */
export function createAppender(options: AppenderOptions): Appender {
  let fd: number | undefined;
  let size: number | undefined;
  const pending: string[] = [];
  let pendingBytes = 0;
  let writing: Promise<void> | undefined;
  let failedUntil: number | undefined;
  let dropped = 0;
  // A failed write may have left half a line; the next write ends it first.
  let torn = false;

  const closeFile = (): void => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    size = undefined;
  };
  const take = (): string => {
    const room = Math.max(1, options.rotateBytes - (size ?? 0));
    let bytes = 0;
    let count = 0;
    while (count < pending.length && (count === 0 || bytes + Buffer.byteLength(pending[count] ?? '') <= room)) {
      bytes += Buffer.byteLength(pending[count] ?? '');
      count++;
    }
    const chunk = pending.splice(0, count).join('');
    pendingBytes -= bytes;
    return chunk;
  };
  const writeChunk = async (chunk: string): Promise<void> => {
    const text = torn ? `\n${chunk}` : chunk;
    fd ??= openSync(options.path, 'a', 0o600);
    size ??= statSync(options.path).size;
    if (size > 0 && size + Buffer.byteLength(text) > options.rotateBytes) {
      closeFile();
      renameSync(options.path, `${options.path}.1`);
      return writeChunk(chunk);
    }
    const buffer = Buffer.from(text);
    torn = false;
    for (let offset = 0; offset < buffer.length; ) {
      const handle = fd;
      const written = await new Promise<number>((resolve, reject) => write(handle, buffer, offset, buffer.length - offset, null, (error, n) => (error ? reject(error) : resolve(n))));
      torn = true;
      offset += written;
      size += written;
    }
    torn = false;
  };
  const drain = async (): Promise<void> => {
    while (pending.length > 0 && (failedUntil === undefined || options.now() >= failedUntil)) {
      const chunk = take();
      try {
        await writeChunk(chunk);
        if (failedUntil !== undefined) {
          failedUntil = undefined;
          options.onChange({ kind: 'recovered', dropped });
          dropped = 0;
        }
      } catch (error) {
        pending.unshift(chunk);
        pendingBytes += Buffer.byteLength(chunk);
        trim();
        const first = failedUntil === undefined;
        failedUntil = options.now() + options.retryMs;
        try {
          closeFile();
        } catch {
          // The descriptor is unusable anyway; the next try opens the file again.
          fd = undefined;
        }
        if (first) options.onChange({ kind: 'failed', message: (error as Error).message });
      }
    }
    writing = undefined;
  };
  const trim = (): void => {
    while (pendingBytes > options.maxBufferedBytes && pending.length > 1) {
      pendingBytes -= Buffer.byteLength(pending.shift() ?? '');
      dropped++;
    }
  };
  const settled = async (): Promise<void> => {
    while (writing) await writing;
  };
  return {
    append(line) {
      pending.push(line);
      pendingBytes += Buffer.byteLength(line);
      trim();
      writing ??= Promise.resolve().then(drain);
    },
    flush: async () => {
      if (pending.length > 0) writing ??= Promise.resolve().then(drain);
      await settled();
    },
    close: closeFile,
  };
}
