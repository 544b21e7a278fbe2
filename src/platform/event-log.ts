/**
 * The event log: every event is appended as one JSON line to `<state-dir>/events.jsonl` (batched,
 * off the hot path), kept in a bounded in-memory ring for the API, and passed to live subscribers
 * (`tend events -f`). A write error (full disk) degrades to memory only, with one stderr line;
 * it never stops supervision.
 */
import { closeSync, openSync, renameSync, statSync, write } from 'node:fs';
import { join } from 'node:path';
import type { EventSink, TendEvent } from '../model/event.ts';
import type { Clock } from './clock.ts';
import { readFileTail } from './file-tail.ts';

const RING_SIZE = 2000;
const ROTATE_BYTES = 10 * 1024 * 1024;

export interface EventLog extends EventSink {
  /** Newest last. */
  recent(): readonly TendEvent[];
  subscribe(listener: (event: TendEvent) => void): () => void;
  /** Writes what is buffered; resolves when on disk (or given up). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Path of the event log in `stateDir`. */
export function eventLogPath(stateDir: string): string {
  return join(stateDir, 'events.jsonl');
}

/** Opens the event log of `stateDir`; with `stateDir` undefined, events stay in memory. */
export function openEventLog(stateDir: string | undefined, clock: Clock): EventLog {
  // A controller that starts again serves the events its predecessors recorded too.
  const ring: TendEvent[] = stateDir === undefined ? [] : readTail(eventLogPath(stateDir));
  const listeners = new Set<(event: TendEvent) => void>();
  const file = stateDir === undefined ? undefined : createAppender(eventLogPath(stateDir));
  return {
    record({ at, ...partial }) {
      const event: TendEvent = { time: new Date(at ?? clock.now()).toISOString(), ...partial };
      ring.push(event);
      if (ring.length > RING_SIZE) ring.splice(0, ring.length - RING_SIZE);
      file?.append(`${JSON.stringify(event)}\n`);
      for (const listener of listeners) listener(event);
    },
    recent: () => ring,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    flush: () => file?.flush() ?? Promise.resolve(),
    async close() {
      await file?.flush();
      file?.close();
    },
  };
}

interface Appender {
  append(line: string): void;
  flush(): Promise<void>;
  close(): void;
}

// Appends lines with one write per batch; rotates to `.1` past ROTATE_BYTES.
function createAppender(path: string): Appender {
  let fd: number | undefined;
  let size = 0;
  let pending: string[] = [];
  let writing: Promise<void> | undefined;
  let broken = false;
  const open = (): number => {
    fd ??= openSync(path, 'a', 0o600);
    return fd;
  };
  const writeBatch = async (): Promise<void> => {
    while (pending.length > 0 && !broken) {
      const text = pending.join('');
      pending = [];
      try {
        rotateIfLarge();
        const handle = open();
        await new Promise<void>((resolve, reject) => write(handle, text, (error) => (error ? reject(error) : resolve())));
        size += Buffer.byteLength(text);
      } catch (error) {
        broken = true;
        process.stderr.write(`tend: event log ${path} not writable (${(error as Error).message}); events kept in memory only\n`);
      }
    }
    writing = undefined;
  };
  const rotateIfLarge = (): void => {
    if (size === 0 && fd === undefined) size = fileSize(path);
    if (size < ROTATE_BYTES) return;
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    renameSync(path, `${path}.1`);
    size = 0;
  };
  return {
    append(line) {
      if (broken) return;
      pending.push(line);
      writing ??= Promise.resolve().then(writeBatch);
    },
    flush: async () => {
      while (writing) await writing;
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

const SEED_BYTES = 512 * 1024;

// The newest events of an existing log (its last 512 KiB, at most RING_SIZE of them).
function readTail(path: string): TendEvent[] {
  const tail = readFileTail(path, SEED_BYTES);
  if (!tail) return [];
  const lines = tail.text.split('\n');
  if (tail.cut) lines.shift();
  return lines.flatMap((line) => parseEvent(line)).slice(-RING_SIZE);
}

function parseEvent(line: string): TendEvent[] {
  try {
    return line ? [JSON.parse(line) as TendEvent] : [];
  } catch {
    return [];
  }
}
