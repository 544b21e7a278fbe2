/**
 * The state file, `<state-dir>/state.json`: written atomically (temp file, fsync, rename), read
 * back on start. A file that does not parse is set aside as `state.json.corrupt-<time>` and the
 * caller rebuilds from the processes that carry tend's marker.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

export type StateRead<T> =
  | { readonly kind: 'ok'; readonly state: T }
  | { readonly kind: 'missing' }
  | { readonly kind: 'corrupt'; readonly movedTo: string; readonly error: string };

/** Path of the state file in `stateDir`. */
export function stateFilePath(stateDir: string): string {
  return join(stateDir, 'state.json');
}

/** Reads and parses the state file; `check` rejects a parsed value of the wrong shape. */
export function readStateFile<T>(stateDir: string, check: (value: unknown) => value is T, now: number): StateRead<T> {
  const path = stateFilePath(stateDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    // A folder (or other non-file) in its place is as unusable as a corrupt file.
    if (code === 'EISDIR') return setAside(path, now, 'it is a directory, not a file');
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (check(value)) return { kind: 'ok', state: value };
    return setAside(path, now, 'unexpected shape');
  } catch (error) {
    return setAside(path, now, (error as Error).message);
  }
}

function setAside(path: string, now: number, error: string): StateRead<never> {
  const movedTo = `${path}.corrupt-${now}`;
  renameSync(path, movedTo);
  return { kind: 'corrupt', movedTo, error };
}

/** Writes `state` atomically: temp file, fsync, rename. */
export function writeStateFile(stateDir: string, state: unknown): void {
  const path = stateFilePath(stateDir);
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(state));
    fsyncSync(fd);
  } catch (error) {
    removeQuietly(temp); // a half-written temp file on a full disk would only hold space
    throw error;
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or the folder cannot be written: nothing more to do.
  }
}

/**
 * Writes `state` atomically off the event loop (the write and fsync run in the thread pool), so
 * a save never delays a restart. Callers must not run two at once (see `createStateSaver`).
 */
export async function writeStateFileAsync(stateDir: string, state: unknown): Promise<void> {
  const path = stateFilePath(stateDir);
  const temp = `${path}.tmp-${process.pid}`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(state));
    await handle.sync();
  } catch (error) {
    removeQuietly(temp);
    throw error;
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

export interface StateSaver {
  /** Asks for a save soon; requests while one is pending or running coalesce. */
  schedule(): void;
  /** Waits for a running save, then writes synchronously now (shutdown). */
  flush(): Promise<void>;
  /** No more scheduled saves. */
  close(): void;
}

/**
 * Coalesces saves: at most one write in flight, the next one `delayMs` after a request, always
 * with the state as it is when the write starts. Write errors go to `onError`; supervision goes on.
 */
export function createStateSaver(options: {
  readonly stateDir: string;
  readonly delayMs: number;
  readonly snapshot: () => unknown;
  readonly after: (ms: number, fn: () => void) => () => void;
  readonly onError: (error: unknown) => void;
}): StateSaver {
  let timer: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  const run = (): void => {
    timer = undefined;
    if (running) {
      again = true;
      return;
    }
    running = writeStateFileAsync(options.stateDir, options.snapshot())
      .catch(options.onError)
      .finally(() => {
        running = undefined;
        if (again && !closed) {
          again = false;
          timer = options.after(options.delayMs, run);
        }
      });
  };
  return {
    schedule() {
      if (!closed) timer ??= options.after(options.delayMs, run);
    },
    async flush() {
      timer?.();
      timer = undefined;
      await running;
      try {
        writeStateFile(options.stateDir, options.snapshot());
      } catch (error) {
        options.onError(error);
      }
    },
    close() {
      closed = true;
      timer?.();
      timer = undefined;
    },
  };
}
