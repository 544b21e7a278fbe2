/**
 * Watches processes that are not our children, so no exit event tells us when they die: those
 * adopted from a controller that ran without the spawn helper (every 250 ms), and, as a slow
 * safety poll, those whose shim should write their exit file. One timer per watcher (none while
 * it watches nothing), each period:
 * `kill(pid, 0)` per process (a microsecond each), and a start-time re-check of a few per tick in
 * rotation, plus of any the kill left in doubt (EPERM: the pid may now be another user's).
 * The re-check also catches zombies that an init which does not reap leaves behind.
 */
import type { Cancel, Clock } from '../../platform/clock.ts';
import { isDead, readProcStat } from './proc-stat.ts';

/** Poll period in ms. */
export const ADOPTED_POLL_MS = 250;
// Start-time re-checks per tick, so the cost stays flat however many processes are adopted.
const RECHECKS_PER_TICK = 4;

interface Watched {
  readonly pid: number;
  readonly startTicks: number;
}

/** Tracks adopted processes by key and reports each death once. */
export class AdoptedWatcher {
  readonly #clock: Clock;
  readonly #onDeath: (key: string) => void;
  readonly #watched = new Map<string, Watched>();
  #cancel: Cancel | undefined;
  #cursor = 0;

  readonly #periodMs: number;

  constructor(clock: Clock, onDeath: (key: string) => void, periodMs = ADOPTED_POLL_MS) {
    this.#clock = clock;
    this.#onDeath = onDeath;
    this.#periodMs = periodMs;
  }

  /** Starts watching the process `pid` (started at `startTicks`) under `key`. */
  add(key: string, pid: number, startTicks: number): void {
    this.#watched.set(key, { pid, startTicks });
    this.#schedule();
  }

  /** Stops watching `key`. */
  remove(key: string): void {
    this.#watched.delete(key);
    if (this.#watched.size === 0) this.close();
  }

  /** Cancels the timer; processes still tracked are no longer polled. */
  close(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  #schedule(): void {
    this.#cancel ??= this.#clock.after(this.#periodMs, () => this.#tick());
  }

  // Iterates the map itself with forEach (deleting the current entry is safe; a for-of would
  // make an entry array per process): no per-tick allocation.
  #tick(): void {
    this.#cancel = undefined;
    const size = this.#watched.size;
    const from = size === 0 ? 0 : this.#cursor % size;
    this.#cursor = from + RECHECKS_PER_TICK;
    let index = 0;
    this.#watched.forEach((watched, key) => {
      const inRotation = (index - from + size) % size < RECHECKS_PER_TICK;
      index += 1;
      if (!isGone(watched, inRotation)) return;
      this.#watched.delete(key);
      this.#onDeath(key);
    });
    if (this.#watched.size > 0) this.#schedule();
  }
}

// kill(pid, 0) says whether the pid exists; the stat read says whether it is still ours and alive.
function isGone(watched: Watched, recheck: boolean): boolean {
  try {
    process.kill(watched.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return true;
    recheck = true;
  }
  if (!recheck) return false;
  const stat = readProcStat(watched.pid);
  return !stat || stat.startTicks !== watched.startTicks || isDead(stat);
}
