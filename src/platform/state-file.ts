/**
 * The state file, `<state-dir>/state.json`, and its journal, `<state-dir>/state.journal`.
 *
 * The state file is a whole snapshot, written atomically (temp file, fsync, rename). Between
 * snapshots a running controller appends only what changed to the journal, one JSON line per
 * save (fdatasync'd), so a restart costs a few hundred bytes instead of the whole state. The
 * journal opens with a header naming the snapshot it continues (`journal` in both); a journal
 * that does not match the snapshot (left over from before the snapshot was renamed in) is
 * ignored, and a torn last line (a crash in mid-append) ends the replay. When the journal grows
 * past the snapshot's size (or {@link COMPACT_MIN_BYTES}) the next save writes a new snapshot
 * and starts a new journal.
 *
 * A state file that does not parse is set aside as `state.json.corrupt-<time>` and the caller
 * rebuilds from the processes that carry tend's marker.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonOf } from '../api/json-body.ts';
import type { TurnYield } from './turn-budget.ts';

export type StateRead<T> =
  | { readonly kind: 'ok'; readonly state: T }
  | { readonly kind: 'missing' }
  | { readonly kind: 'corrupt'; readonly movedTo: string; readonly error: string };

/** Journals shorter than this are never compacted, however small the snapshot. */
export const COMPACT_MIN_BYTES = 256 * 1024;

/** Path of the state file in `stateDir`. */
export function stateFilePath(stateDir: string): string {
  return join(stateDir, 'state.json');
}

/** Path of the journal of changes since the state file was written. */
export function journalFilePath(stateDir: string): string {
  return join(stateDir, 'state.journal');
}

/**
 * Reads and parses the state file; `check` rejects a parsed value of the wrong shape. With
 * `replay`, the records of the journal that continues this state file are applied to it.
 */
export function readStateFile<T>(stateDir: string, check: (value: unknown) => value is T, now: number, replay?: (state: T, records: readonly unknown[]) => T): StateRead<T> {
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
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return setAside(path, now, (error as Error).message);
  }
  if (!check(value)) return setAside(path, now, 'unexpected shape');
  return { kind: 'ok', state: replay ? replayJournal(stateDir, value, replay) : value };
}

// The snapshot with its journal applied; a journal that cannot be applied is left out (the
// snapshot alone is still a state the controller wrote).
function replayJournal<T>(stateDir: string, state: T, replay: (state: T, records: readonly unknown[]) => T): T {
  try {
    return replay(state, journalRecords(stateDir, (state as { journal?: unknown }).journal));
  } catch {
    return state;
  }
}

// The records of the journal continuing snapshot `id`, up to the first line that is torn.
function journalRecords(stateDir: string, id: unknown): unknown[] {
  if (typeof id !== 'string') return [];
  let text: string;
  try {
    text = readFileSync(journalFilePath(stateDir), 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n');
  lines.pop(); // what follows the last newline is empty or torn
  const records: unknown[] = [];
  for (const [index, line] of lines.entries()) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      break;
    }
    if (index === 0 && (value as { journal?: unknown } | null)?.journal !== id) return [];
    if (index > 0) records.push(value);
  }
  return records;
}

function setAside(path: string, now: number, error: string): StateRead<never> {
  const movedTo = `${path}.corrupt-${now}`;
  renameSync(path, movedTo);
  return { kind: 'corrupt', movedTo, error };
}

// Elements of a state's arrays (instance records, history entries, manifest objects) are
// replaced when they change, never mutated: each is serialised once (`jsonOf`, as the API's
// answers are), and a snapshot of thousands of objects serialises only what changed since the
// last one, then joins the texts.
function jsonOfElement(element: unknown): string {
  if (Array.isArray(element)) return `[${element.map(jsonOfElement).join(',')}]`;
  if (typeof element !== 'object' || element === null) return JSON.stringify(element) ?? 'null';
  return jsonOf(element);
}

/**
 * The JSON of a state, as `JSON.stringify` writes it, from the texts of its arrays' elements
 * (and of the elements of arrays in them) kept from earlier snapshots. Elements must never be
 * mutated once saved.
 */
export function stateJson(state: unknown): string {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return JSON.stringify(state);
  const steps = stateJsonSteps(state);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * {@link stateJson}, letting other work run whenever `yieldTurn` says the turn is spent: the first
 * snapshot of 10,000 objects is 80-100 ms of serialising. Elements are never mutated once saved,
 * so the text is the state's as it was handed in.
 */
async function stateJsonSliced(state: unknown, yieldTurn: TurnYield): Promise<string> {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return JSON.stringify(state);
  const steps = stateJsonSteps(state);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    const turn = yieldTurn();
    if (turn) await turn;
  }
}

// The JSON of a state's fields, a step after each element of its arrays.
function* stateJsonSteps(state: object): Generator<void, string> {
  const fields: string[] = [];
  for (const [key, value] of Object.entries(state)) {
    if (value === undefined || typeof value === 'function') continue;
    if (!Array.isArray(value)) {
      fields.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
      continue;
    }
    const elements: string[] = [];
    for (const element of value as unknown[]) {
      elements.push(jsonOfElement(element));
      yield;
    }
    fields.push(`${JSON.stringify(key)}:[${elements.join(',')}]`);
  }
  return `{${fields.join(',')}}`;
}

/** Writes `state` atomically: temp file, fsync, rename. Returns the bytes written. */
export function writeStateFile(stateDir: string, state: unknown): number {
  const path = stateFilePath(stateDir);
  const temp = `${path}.tmp-${process.pid}`;
  const text = stateJson(state);
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    removeQuietly(temp); // a half-written temp file on a full disk would only hold space
    throw error;
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  return Buffer.byteLength(text);
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
 * a save never delays a restart; with `yieldTurn`, its serialising lets other work run too.
 * Callers must not run two at once (see `createStateSaver`).
 * Returns the bytes written.
 */
export async function writeStateFileAsync(stateDir: string, state: unknown, yieldTurn?: TurnYield): Promise<number> {
  const path = stateFilePath(stateDir);
  const temp = `${path}.tmp-${process.pid}`;
  const text = yieldTurn ? await stateJsonSliced(state, yieldTurn) : stateJson(state);
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (error) {
    removeQuietly(temp);
    throw error;
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  return Buffer.byteLength(text);
}

export interface StateSaver {
  /** Asks for a save soon; requests while one is pending or running coalesce. */
  schedule(): void;
  /** Resolves once no save is running (one may still be scheduled). */
  idle(): Promise<void>;
  /** Waits for a running save, then writes a whole snapshot synchronously now (shutdown). */
  flush(): Promise<void>;
  /** No more scheduled saves; closes the journal. */
  close(): Promise<void>;
}

/** Options of {@link createStateSaver}. */
export interface StateSaverOptions {
  readonly stateDir: string;
  /** Wait after the first request of a quiet spell, so a burst of changes is written once. */
  readonly delayMs: number;
  /** Least time between the starts of two saves: the bound on the write rate. */
  readonly minSpacingMs: number;
  /** The whole state, a plain object (the saver adds its `journal` field). */
  readonly snapshot: () => object;
  /**
   * What changed since the previous call to `changes` or `mark` (a journal record), undefined when
   * nothing did. Called before each journal append.
   */
  readonly changes: () => unknown;
  /**
   * Takes the state as it is now for written, without making a record: called right before each
   * `snapshot`, so the next `changes` starts from what the snapshot holds. (The record of
   * everything a first save would make, then throw away, cost 100 ms at 10,000 objects.)
   */
  readonly mark: () => void;
  readonly now: () => number;
  readonly after: (ms: number, fn: () => void) => () => void;
  readonly onError: (error: unknown) => void;
  /** Lets other work run while a snapshot is serialised. */
  readonly yieldTurn?: TurnYield;
}

/**
 * Coalesces and bounds saves: at most one write in flight, the first `delayMs` after a request,
 * the next no sooner than `minSpacingMs` after the previous one started, each a journal append of
 * the changes or, when the journal has grown past the snapshot (or none was written yet), a new
 * snapshot. Write errors go to `onError` and make the next save a snapshot; supervision goes on.
 */
export function createStateSaver(options: StateSaverOptions): StateSaver {
  const journal = createJournal(options.stateDir, options.yieldTurn);
  let timer: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let lastStart = -Infinity;
  const arm = (): void => {
    const wait = Math.max(options.delayMs, lastStart + options.minSpacingMs - options.now());
    timer ??= options.after(wait, run);
  };
  const save = (): Promise<void> => {
    if (!journal.snapshotDue()) return journal.append(options.changes());
    options.mark();
    return journal.begin(options.snapshot());
  };
  const run = (): void => {
    timer = undefined;
    if (running) {
      again = true;
      return;
    }
    lastStart = options.now();
    running = save()
      .catch((error: unknown) => {
        journal.invalidate();
        options.onError(error);
      })
      .finally(() => {
        running = undefined;
        if (again && !closed) {
          again = false;
          arm();
        }
      });
  };
  return {
    schedule() {
      if (!closed) arm();
    },
    async idle() {
      while (running) await running;
    },
    async flush() {
      timer?.();
      timer = undefined;
      await running;
      try {
        options.mark();
        journal.snapshotNow(options.snapshot());
      } catch (error) {
        options.onError(error);
      }
    },
    async close() {
      closed = true;
      timer?.();
      timer = undefined;
      await running;
      await journal.close();
    },
  };
}

interface Journal {
  /** True when the next save must write a snapshot: none yet, a failed write, or the journal outgrew it. */
  snapshotDue(): boolean;
  /** Appends `record` (nothing when undefined). */
  append(record: unknown): Promise<void>;
  /** Writes `state` as the snapshot and starts a new journal. */
  begin(state: object): Promise<void>;
  /** Writes a snapshot synchronously and starts a new journal. */
  snapshotNow(state: object): void;
  /** The next save writes a snapshot (after a failed write). */
  invalidate(): void;
  close(): Promise<void>;
}

// The snapshot and journal files of one saver; `id` ties a journal to its snapshot.
function createJournal(stateDir: string, yieldTurn: TurnYield | undefined): Journal {
  let handle: FileHandle | undefined;
  let id: string | undefined;
  let bytes = 0;
  let snapshotBytes = 0;
  let generation = 0;
  const nextId = (): string => `${process.pid}-${Date.now()}-${++generation}`;
  const begin = async (state: object): Promise<void> => {
    await handle?.close();
    handle = undefined;
    const fresh = nextId();
    snapshotBytes = await writeStateFileAsync(stateDir, { ...state, journal: fresh }, yieldTurn);
    handle = await open(journalFilePath(stateDir), 'w', 0o600);
    const header = `${JSON.stringify({ journal: fresh })}\n`;
    await handle.write(header);
    await handle.datasync();
    id = fresh;
    bytes = header.length;
  };
  return {
    snapshotDue: () => !handle || id === undefined || bytes > Math.max(COMPACT_MIN_BYTES, snapshotBytes),
    begin,
    async append(record) {
      if (record === undefined || !handle) return;
      const line = `${JSON.stringify(record)}\n`;
      await handle.write(line);
      await handle.datasync();
      bytes += Buffer.byteLength(line);
    },
    snapshotNow(state) {
      const fresh = nextId();
      writeStateFile(stateDir, { ...state, journal: fresh });
      const fd = openSync(journalFilePath(stateDir), 'w', 0o600);
      try {
        writeSync(fd, `${JSON.stringify({ journal: fresh })}\n`);
      } finally {
        closeSync(fd);
      }
      id = undefined;
    },
    invalidate() {
      id = undefined;
    },
    async close() {
      await handle?.close();
      handle = undefined;
    },
  };
}
