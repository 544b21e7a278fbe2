/**
 * The work queue: object keys waiting for a reconcile. Owns deduplication (a key is queued at most
 * once; a key being worked on and queued again is worked on once more afterwards), delayed requeue
 * (only the earliest time per key is kept) and per-key failure backoff. It never looks at what a
 * key means.
 */
import type { Cancel, Clock } from '../platform/clock.ts';

export interface WorkQueue {
  /** Queues a key now. */
  add(key: string): void;
  /** Queues a key at `at` (ms since the epoch), unless an earlier requeue is pending. */
  addAt(key: string, at: number): void;
  /** Queues a key after its failure backoff (5 ms doubling to 30 s). */
  addFailed(key: string): void;
  /** A key succeeded: forget its failure backoff. */
  forget(key: string): void;
  /** Next key to work on, or undefined when idle. The caller must call `done(key)` after. */
  take(): string | undefined;
  /** Every ready key at once; the caller must call `done(key)` (or `doneAll`) for each. */
  takeAll(): string[];
  done(key: string): void;
  /** `done` of each of `keys`, at once when they are every key being worked on. */
  doneAll(keys: readonly string[]): void;
  /** Number of keys ready now. */
  readonly length: number;
  /** Called when the queue goes from no ready key to one; the worker then drains it all. */
  onReady(listener: () => void): void;
  /** Drops every timer. */
  close(): void;
}

const FAILURE_BASE_MS = 5;
const FAILURE_MAX_MS = 30_000;

/** Creates a queue driven by `clock`. */
export function createWorkQueue(clock: Clock): WorkQueue {
  let ready = new Set<string>();
  let processing = new Set<string>();
  const dirty = new Set<string>();
  const delayed = new Map<string, { at: number; cancel: Cancel }>();
  const failures = new Map<string, number>();
  let listener: () => void = () => {};

  // A full pass adds every key: each lookup a quiet queue cannot need is skipped (the sizes say so).
  const add = (key: string): void => {
    const timer = delayed.size > 0 ? delayed.get(key) : undefined;
    if (timer) {
      timer.cancel();
      delayed.delete(key);
    }
    if (processing.size > 0 && processing.has(key)) {
      dirty.add(key);
      return;
    }
    const before = ready.size;
    ready.add(key);
    // Only the first ready key wakes the worker; it drains everything that follows.
    if (before === 0) listener();
  };

  const done = (key: string): void => {
    processing.delete(key);
    if (dirty.size > 0 && dirty.delete(key)) add(key);
  };

  const addAt = (key: string, at: number): void => {
    const existing = delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    arm(key, at);
  };

  // A timer may fire up to a millisecond before `at` by the clock (Node counts from the time its
  // loop turn began): the key then waits out the rest here rather than in a pass that would only
  // plan it again for `at`.
  const arm = (key: string, at: number, ms = at - clock.now()): void => {
    const cancel = clock.after(ms, () => {
      const early = at - clock.now();
      if (early > 0) return arm(key, at, Math.max(1, early));
      delayed.delete(key);
      add(key);
    });
    delayed.set(key, { at, cancel });
  };

  return {
    add,
    addAt,
    addFailed(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      addAt(key, clock.now() + Math.min(FAILURE_MAX_MS, FAILURE_BASE_MS * 2 ** n));
    },
    forget: (key) => void (failures.size > 0 && failures.delete(key)),
    take() {
      const next = ready.values().next();
      if (next.done) return undefined;
      ready.delete(next.value);
      processing.add(next.value);
      return next.value;
    },
    takeAll() {
      const keys = [...ready];
      if (processing.size === 0) {
        processing = ready;
        ready = new Set();
      } else {
        for (const key of keys) processing.add(key);
        ready.clear();
      }
      return keys;
    },
    done,
    doneAll(keys) {
      // A quiet pass ends with every key it took done and none queued again meanwhile.
      if (dirty.size === 0 && keys.length === processing.size) processing.clear();
      else for (const key of keys) done(key);
    },
    get length() {
      return ready.size;
    },
    onReady(fn) {
      listener = fn;
    },
    close() {
      for (const { cancel } of delayed.values()) cancel();
      delayed.clear();
    },
  };
}
