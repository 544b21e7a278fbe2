/**
 * The executor's safety poll over instances a shim supervises. A shim writes every end of its
 * program into the exit file; the one end nobody tells is the shim's own death (SIGKILL, the OOM
 * killer) before it wrote that file. So the poll watches the shims, not each program: every
 * period it reads the children list of each shim's parent (`/proc/PID/task/PID/children`, the
 * helper that forked them: one file for any number of instances) instead of a `kill(pid, 0)`
 * per instance. A shim no longer listed is gone: its program is from then on polled on its own
 * ({@link AdoptedWatcher}) and reported when it ends (at once if it has already). A shim whose
 * parent cannot be read (a kernel without the children list, a parent that is gone or another
 * user's) is treated alike, and so is every instance while no inotify watch tells exit files
 * (shim-watch.ts passes no shim then): the guarantee stays the per-program poll's, an end found
 * within a period or two.
 * One timer while anything is watched; a tick reads one small file per parent and builds no
 * string. Must not: decide anything about an instance; it reports.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Cancel, Clock } from '../../platform/clock.ts';
import { AdoptedWatcher } from './adopted-watcher.ts';
import { isDead, readProcStat } from './proc-stat.ts';

interface Shimmed {
  readonly shimPid: number;
  readonly pid: number;
  readonly startTicks: number;
  /** The shim's parent, read at the first tick after `add`. */
  parent: number | undefined;
}

/** Watches shims by their parent's children list; reports each program whose shim died once it ends. */
export class ShimLiveness {
  readonly #clock: Clock;
  readonly #periodMs: number;
  readonly #shims = new Map<string, Shimmed>();
  readonly #orphans: AdoptedWatcher;
  readonly #onGone: (key: string) => void;
  /** Live children per parent pid, read afresh each tick into reused lists. */
  readonly #children = new Map<number, PidList>();
  #ticks = 0;
  /** The parent of the latest shim whose parent was read. */
  #usual: number | undefined;
  #cancel: Cancel | undefined;

  /** `onGone(key)`: the program of `key` has ended and its shim was gone. */
  constructor(clock: Clock, onGone: (key: string) => void, periodMs: number) {
    this.#clock = clock;
    this.#periodMs = periodMs;
    this.#onGone = onGone;
    this.#orphans = new AdoptedWatcher(clock, onGone, periodMs);
  }

  /**
   * Watches the program `pid` (started at `startTicks`) of `key`, supervised by the shim `shimPid`;
   * with `shimPid` 0 the program itself is polled each period.
   */
  add(key: string, pid: number, startTicks: number, shimPid: number): void {
    this.#orphans.remove(key);
    this.#shims.set(key, { shimPid, pid, startTicks, parent: undefined });
    this.#cancel ??= this.#clock.after(this.#periodMs, () => this.#tick());
  }

  /** Stops watching `key`. */
  remove(key: string): void {
    this.#shims.delete(key);
    this.#orphans.remove(key);
    if (this.#shims.size === 0) this.#stop();
  }

  /** Cancels the timers; nothing is polled any more. */
  close(): void {
    this.#stop();
    this.#orphans.close();
  }

  #stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  // Iterates the maps themselves (deleting the current entry is safe): no per-tick allocation
  // beyond the reads.
  #tick(): void {
    this.#cancel = undefined;
    this.#ticks += 1;
    this.#shims.forEach((shim, key) => {
      shim.parent ??= this.#parentOf(shim.shimPid);
      if (shim.parent !== undefined && this.#childrenOf(shim.parent)?.has(shim.shimPid) === true) return;
      this.#shims.delete(key);
      if (isProgramGone(shim)) this.#onGone(key);
      else this.#orphans.add(key, shim.pid, shim.startTicks);
    });
    this.#children.forEach((children, parent) => {
      if (children.readAt !== this.#ticks) this.#children.delete(parent);
    });
    if (this.#shims.size > 0) this.#cancel = this.#clock.after(this.#periodMs, () => this.#tick());
  }

  // The parent of a new shim: most share one (the helper), whose list is read this tick anyway, so
  // a start costs no read of its own; else its stat says.
  #parentOf(shimPid: number): number | undefined {
    if (this.#usual !== undefined && this.#childrenOf(this.#usual)?.has(shimPid) === true) return this.#usual;
    const parent = parentOf(shimPid);
    if (parent !== undefined) this.#usual = parent;
    return parent;
  }

  // The children of `parent`, read once per tick; undefined when they cannot be read.
  #childrenOf(parent: number): PidList | undefined {
    let children = this.#children.get(parent);
    if (children?.readAt === this.#ticks) return children.ok ? children : undefined;
    if (children === undefined) this.#children.set(parent, (children = new PidList()));
    children.readAt = this.#ticks;
    children.ok = readChildren(parent, children);
    return children.ok ? children : undefined;
  }
}

// Whether the program has ended (or its pid names another process now).
function isProgramGone(shim: Shimmed): boolean {
  const stat = readProcStat(shim.pid);
  return stat === undefined || isDead(stat) || stat.startTicks !== shim.startTicks;
}

// The parent of a live shim; undefined when the shim is gone (or a zombie) already.
function parentOf(shimPid: number): number | undefined {
  const stat = shimPid > 1 ? readProcStat(shimPid) : undefined;
  return stat === undefined || isDead(stat) ? undefined : stat.ppid;
}

/** A sorted list of pids, refilled in place: a tick that reads it allocates nothing. */
export class PidList {
  #pids = new Int32Array(256);
  #length = 0;
  /** The tick of its latest read, and whether that read succeeded (for the poll's own use). */
  readAt = -1;
  ok = false;

  /** Empties the list and adds the space-separated decimal pids in the first `length` bytes of `bytes`. */
  fill(bytes: Uint8Array, length: number): void {
    this.#length = 0;
    let pid = -1;
    for (let i = 0; i < length; i++) {
      const digit = (bytes[i] ?? 0) - 48;
      if (digit >= 0 && digit <= 9) pid = (pid < 0 ? 0 : pid * 10) + digit;
      else if (pid >= 0) {
        this.#push(pid);
        pid = -1;
      }
    }
    if (pid >= 0) this.#push(pid);
    this.#pids.subarray(0, this.#length).sort();
  }

  has(pid: number): boolean {
    let low = 0;
    let high = this.#length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const at = this.#pids[middle] ?? 0;
      if (at === pid) return true;
      if (at < pid) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }

  get size(): number {
    return this.#length;
  }

  #push(pid: number): void {
    if (this.#length === this.#pids.length) {
      const grown = new Int32Array(this.#pids.length * 2);
      grown.set(this.#pids);
      this.#pids = grown;
    }
    this.#pids[this.#length++] = pid;
  }
}

let buffer = Buffer.alloc(8192);

/**
 * Reads the children of `parent` (its main thread's: the helper forks from no other) into
 * `into`; false when the list cannot be read. Parsed from the bytes: no string is built.
 */
export function readChildren(parent: number, into: PidList): boolean {
  let fd: number;
  try {
    fd = openSync(`/proc/${parent}/task/${parent}/children`, 'r');
  } catch {
    return false;
  }
  try {
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      length += n;
      if (n === 0) break;
      if (length === buffer.length) buffer = Buffer.concat([buffer, Buffer.alloc(buffer.length)]);
    }
    into.fill(buffer, length);
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
