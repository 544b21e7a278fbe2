/**
 * The state file, `<state-dir>/state.json`: written atomically (temp file, fsync, rename), read
 * back on start. A file that does not parse is set aside as `state.json.corrupt-<time>` and the
 * caller rebuilds from the processes that carry tend's marker.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
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
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
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
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
