/**
 * The event log: every event is appended as one JSON line to `<state-dir>/events.jsonl` (batched,
 * off the hot path, rotated by size at write time), kept in a bounded in-memory ring for the
 * API, and passed to live subscribers (`tend events -f`). Repeated events are folded into one
 * with `count` and `lastTime` (event-series.ts). A write error (full disk) keeps events in
 * memory, says so once on stderr and as a Warning event, and the log recovers when the disk
 * does; it never stops supervision.
 */
import { join } from 'node:path';
import type { EventSink, TendEvent } from '../model/event.ts';
import type { Clock } from './clock.ts';
import { createAppender, type AppenderChange } from './event-appender.ts';
import { createEventCorrelator, type StoredEvent } from './event-series.ts';
import { readFileTail } from './file-tail.ts';

const RING_SIZE = 2000;
/** Size at which `events.jsonl` is renamed to `events.jsonl.1`. */
export const EVENT_LOG_ROTATE_BYTES = 10 * 1024 * 1024;
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const RETRY_MS = 1_000;

export interface EventLog extends EventSink {
  /** Newest last. */
  recent(): readonly TendEvent[];
  subscribe(listener: (event: TendEvent) => void): () => void;
  /** Writes what is buffered; resolves when on disk (or given up for now). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Path of the event log in `stateDir`. */
export function eventLogPath(stateDir: string): string {
  return join(stateDir, 'events.jsonl');
}

/** Opens the event log of `stateDir`; with `stateDir` undefined, events stay in memory. */
export function openEventLog(stateDir: string | undefined, clock: Clock, rotateBytes = EVENT_LOG_ROTATE_BYTES): EventLog {
  // A controller that starts again serves the events its predecessors recorded too.
  const ring: StoredEvent[] = stateDir === undefined ? [] : readTail(eventLogPath(stateDir));
  const listeners = new Set<(event: TendEvent) => void>();
  const correlator = createEventCorrelator();
  const path = stateDir === undefined ? undefined : eventLogPath(stateDir);
  const store = (event: StoredEvent, replaces?: StoredEvent): void => {
    const at = replaces ? ring.lastIndexOf(replaces) : -1;
    if (at !== -1) ring.splice(at, 1);
    ring.push(event);
    if (ring.length > RING_SIZE) ring.splice(0, ring.length - RING_SIZE);
    for (const listener of listeners) listener(event);
  };
  const record: EventSink['record'] = ({ at, ...partial }) => {
    const when = at ?? clock.now();
    const event: TendEvent = { time: new Date(when).toISOString(), ...partial };
    const outcome = correlator.correlate(event, when);
    store(outcome.event, outcome.kind === 'folded' ? outcome.replaces : undefined);
    if (outcome.kind === 'new' || outcome.write) file?.append(`${JSON.stringify(outcome.event)}\n`);
  };
  const onChange = (change: AppenderChange): void => {
    const line = change.kind === 'failed'
      ? `event log ${path ?? ''} not writable (${change.message}); events kept in memory until it is`
      : `event log ${path ?? ''} writable again${change.dropped > 0 ? `; ${change.dropped} events could not be kept for it` : ''}`;
    process.stderr.write(`tend: ${line}\n`);
    record({ object: 'controller', type: change.kind === 'failed' ? 'Warning' : 'Normal', reason: change.kind === 'failed' ? 'EventLogNotWritable' : 'EventLogWritable', message: line });
  };
  const file = path === undefined ? undefined : createAppender({ path, rotateBytes, maxBufferedBytes: MAX_BUFFERED_BYTES, retryMs: RETRY_MS, now: () => clock.now(), onChange });
  return {
    record,
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
