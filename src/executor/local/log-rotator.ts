/**
 * One timer, armed while any instance runs, that rotates the log files of running instances
 * which outgrew their `logs.maxSize`. Each file is looked at again only when, at the rate it grew
 * since its last look, it could be half-way to its limit: a quiet file is looked at once a
 * minute, a busy one every 5 s. Sizes are read with a synchronous stat (a few microseconds,
 * far cheaper than a thread-pool round trip), in batches so a thousand instances never block the
 * loop for long; only the rare rotation itself is asynchronous. Never throws: a failed rotation
 * (a full disk) becomes a warning and supervision goes on.
 */
import { statSync } from 'node:fs';
import type { LogPolicy, ObjectKey } from '../../model/object.ts';
import type { Cancel, Clock } from '../../platform/clock.ts';
import { logPaths, rotateLogFile } from './log-files.ts';

/** Check period in ms. */
export const LOG_ROTATE_INTERVAL_MS = 5000;
// Instances whose files are checked per step (two stats each).
const BATCH = 128;
// The longest a file goes without a look.
const MAX_INTERVAL_MS = 60_000;

interface Look {
  readonly at: number;
  readonly size: number;
  readonly next: number;
}

/** An instance whose logs are rotated. */
export interface RotatedInstance {
  readonly object: ObjectKey;
  readonly id: string;
  readonly logs: LogPolicy;
}

/** Options of {@link LogRotator}. */
export interface LogRotatorOptions {
  readonly clock: Clock;
  readonly stateDir: string;
  /** The instances to check now (running ones). */
  readonly list: () => Iterable<RotatedInstance>;
  readonly onWarning: (reason: string, message: string, object: ObjectKey) => void;
}

/** Periodic copytruncate rotation. */
export class LogRotator {
  readonly #options: LogRotatorOptions;
  readonly #rotating = new Set<string>();
  readonly #looks = new Map<string, Look>();
  #pending: RotatedInstance[] = [];
  #cancel: Cancel | undefined;
  /** When the armed timer fires. */
  #armedAt = Infinity;
  #closed = false;

  constructor(options: LogRotatorOptions) {
    this.#options = options;
  }

  /** Makes sure a pass comes within 5 s (call after starting or adopting an instance). */
  ensure(): void {
    this.#arm(this.#options.clock.now() + LOG_ROTATE_INTERVAL_MS);
  }

  // Arms the timer for a pass at `at`, unless one is due earlier already.
  #arm(at: number): void {
    if (this.#closed || (this.#cancel && this.#armedAt <= at)) return;
    this.#cancel?.();
    this.#armedAt = at;
    this.#cancel = this.#options.clock.after(at - this.#options.clock.now(), () => {
      this.#cancel = undefined;
      this.#armedAt = Infinity;
      this.#pending = [...this.#options.list()];
      this.#step();
    });
  }

  /** Stops the timer for good. */
  close(): void {
    this.#closed = true;
    this.#cancel?.();
    this.#cancel = undefined;
    this.#armedAt = Infinity;
  }

  /** Checks every listed instance at once; resolves when the rotations it started are done. */
  async rotateNow(): Promise<void> {
    await Promise.all([...this.#options.list()].flatMap((instance) => this.#check(instance, true)));
  }

  // One batch, then the next on a fresh turn of the loop; at the end, sleeps until the first
  // file is due (an idle machine wakes once a minute, not every 5 s).
  #step(): void {
    for (const instance of this.#pending.splice(0, BATCH)) void this.#check(instance);
    if (this.#closed) return;
    if (this.#pending.length > 0) {
      this.#cancel = this.#options.clock.after(0, () => this.#step());
      return;
    }
    this.#forgetGone();
    if (this.#options.list()[Symbol.iterator]().next().done) return;
    let next = this.#options.clock.now() + MAX_INTERVAL_MS;
    for (const look of this.#looks.values()) next = Math.min(next, look.next);
    this.#arm(Math.max(next, this.#options.clock.now() + LOG_ROTATE_INTERVAL_MS));
  }

  #check(instance: RotatedInstance, force = false): Promise<void>[] {
    const paths = logPaths(this.#options.stateDir, instance.id);
    return [paths.out, paths.err]
      .filter((path) => !this.#rotating.has(path) && (force || this.#due(path)) && this.#outgrown(path, instance.logs.maxSizeBytes))
      .map((path) => this.#rotate(path, instance));
  }

  #due(path: string): boolean {
    const look = this.#looks.get(path);
    return look === undefined || look.next <= this.#options.clock.now();
  }

  // Reads the size and schedules the next look from the growth since the last one.
  #outgrown(path: string, limit: number): boolean {
    const now = this.#options.clock.now();
    const size = sizeOf(path);
    const last = this.#looks.get(path);
    const rate = last && size >= last.size && now > last.at ? (size - last.size) / (now - last.at) : Infinity;
    const wait = rate === 0 ? MAX_INTERVAL_MS : (limit - size) / 2 / rate;
    this.#looks.set(path, { at: now, size, next: now + Math.min(MAX_INTERVAL_MS, Math.max(LOG_ROTATE_INTERVAL_MS, wait)) });
    if (size <= limit) return false;
    this.#looks.delete(path);
    return true;
  }

  // Drops the looks of files whose instance is no longer listed.
  #forgetGone(): void {
    if (this.#looks.size === 0) return;
    const live = new Set<string>();
    for (const instance of this.#options.list()) {
      const paths = logPaths(this.#options.stateDir, instance.id);
      live.add(paths.out).add(paths.err);
    }
    for (const path of this.#looks.keys()) if (!live.has(path)) this.#looks.delete(path);
  }

  async #rotate(path: string, instance: RotatedInstance): Promise<void> {
    this.#rotating.add(path);
    try {
      await rotateLogFile(path, instance.logs);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ENOSPC' ? 'LogDiskFull' : 'LogRotationFailed';
      this.#options.onWarning(reason, `rotating ${path}: ${(error as Error).message}`, instance.object);
    } finally {
      this.#rotating.delete(path);
    }
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    return 0;
  }
}
