/**
 * One timer, armed while any instance runs, that rotates the log files of running instances
 * which outgrew their `logs.maxSize`. Each file is looked at again only when, at the rate it grew
 * since its last look, it could be half-way to its limit: a quiet file is looked at once a
 * minute, a busy one every 5 s. A file may be looked at up to half its wait early (at
 * least 5 s), so files that fell due at different moments share one pass: an idle machine wakes
 * about once a minute, not once per file. Sizes are read with a synchronous stat (a few
 * microseconds, far cheaper than a thread-pool round trip), in batches so a thousand instances
 * never block the loop for long; only the rare rotation itself is asynchronous. An instance's
 * paths are worked out once, and a pass over files not due builds nothing. Never throws: a failed
 * rotation (a full disk) becomes a warning and supervision goes on.
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
// How much of its wait a file may be looked at early, to share a pass with others.
const EARLY_SHARE = 0.5;

// One log file and its latest look: its size then, and the window of its next look. Updated in
// place, so a look allocates nothing.
interface LogFile {
  readonly path: string;
  /** Whether it was looked at since it was listed or last rotated. */
  looked: boolean;
  at: number;
  size: number;
  /** Looked at again from here on when a pass runs anyway. */
  from: number;
  /** A pass runs by then. */
  next: number;
}

// The files of one listed instance, their paths worked out once.
interface Watched {
  readonly out: LogFile;
  readonly err: LogFile;
  /** The pass that last listed the instance; an older one means it is gone. */
  pass: number;
}

const NO_ROTATIONS: readonly Promise<void>[] = [];

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
  readonly #watched = new Map<string, Watched>();
  #pending: RotatedInstance[] = [];
  #pass = 0;
  #cancel: Cancel | undefined;
  /** When the armed timer fires. */
  #armedAt = Infinity;
  #closed = false;

  constructor(options: LogRotatorOptions) {
    this.#options = options;
  }

  /** Makes sure a pass comes within 5 s (call after starting or adopting an instance). */
  ensure(): void {
    const now = this.#options.clock.now();
    this.#arm(now + LOG_ROTATE_INTERVAL_MS, now);
  }

  // Arms the timer for a pass at `at`, unless one is due earlier already; `now` is the clock read
  // `at` was reckoned from (a second read could put the timer a tick short of what was meant).
  #arm(at: number, now: number): void {
    if (this.#closed || (this.#cancel && this.#armedAt <= at)) return;
    this.#cancel?.();
    this.#armedAt = at;
    this.#cancel = this.#options.clock.after(at - now, () => {
      this.#cancel = undefined;
      this.#armedAt = Infinity;
      this.#pass += 1;
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
    const now = this.#options.clock.now();
    let next = now + MAX_INTERVAL_MS;
    // Forgets the instances this pass did not list; iterating the map itself allocates nothing.
    this.#watched.forEach((watched, id) => {
      if (watched.pass !== this.#pass) this.#watched.delete(id);
      else next = Math.min(next, nextLook(watched.out, now), nextLook(watched.err, now));
    });
    if (this.#watched.size === 0) return;
    this.#arm(Math.max(next, now + LOG_ROTATE_INTERVAL_MS), now);
  }

  // Looks at the instance's files that are due (all with `force`); the rotations it started.
  #check(instance: RotatedInstance, force = false): readonly Promise<void>[] {
    const watched = this.#watchedOf(instance);
    const now = this.#options.clock.now();
    const out = this.#checkFile(watched.out, instance, now, force);
    const err = this.#checkFile(watched.err, instance, now, force);
    return out === undefined && err === undefined ? NO_ROTATIONS : [out, err].filter((r) => r !== undefined);
  }

  #checkFile(file: LogFile, instance: RotatedInstance, now: number, force: boolean): Promise<void> | undefined {
    if (this.#rotating.has(file.path) || (!force && file.looked && file.from > now)) return undefined;
    return outgrown(file, now, instance.logs.maxSizeBytes) ? this.#rotate(file.path, instance) : undefined;
  }

  #watchedOf(instance: RotatedInstance): Watched {
    let watched = this.#watched.get(instance.id);
    if (watched === undefined) {
      const { out, err } = logPaths(this.#options.stateDir, instance.id);
      watched = { out: unlooked(out), err: unlooked(err), pass: this.#pass };
      this.#watched.set(instance.id, watched);
    }
    watched.pass = this.#pass;
    return watched;
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

function unlooked(path: string): LogFile {
  return { path, looked: false, at: 0, size: 0, from: 0, next: 0 };
}

// When `file` is due for its next look (now when it was never looked at).
function nextLook(file: LogFile, now: number): number {
  return file.looked ? file.next : now;
}

// Reads the size and schedules the next look from the growth since the last one; true when the
// file outgrew `limit` (it is rotated, and looked at afresh after).
function outgrown(file: LogFile, now: number, limit: number): boolean {
  const size = sizeOf(file.path);
  if (size > limit) {
    file.looked = false;
    return true;
  }
  const rate = file.looked && size >= file.size && now > file.at ? (size - file.size) / (now - file.at) : Infinity;
  const wait = Math.min(MAX_INTERVAL_MS, Math.max(LOG_ROTATE_INTERVAL_MS, rate === 0 ? MAX_INTERVAL_MS : (limit - size) / 2 / rate));
  file.looked = true;
  file.at = now;
  file.size = size;
  file.from = now + wait - Math.max(LOG_ROTATE_INTERVAL_MS, wait * EARLY_SHARE);
  file.next = now + wait;
  return false;
}

function sizeOf(path: string): number {
  try {
    return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    return 0;
  }
}
