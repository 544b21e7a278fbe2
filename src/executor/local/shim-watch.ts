/**
 * The local executor's side of the spawn helper beyond one spawn: the helper connection (looked
 * for once, with the one-time message when it or cgroups are missing), tokens for new starts,
 * and the watch over every instance a shim supervises: its exit file (exit-watcher.ts), a slow
 * safety poll for a shim that died before writing it (shim-liveness.ts), and the run files of ended instances,
 * removed once their records go. Must not: decide anything about an instance; it reports.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock.ts';
import { isRunAlive, isShimAlive } from './adopt-runs.ts';
import { killAndRemoveCgroup, killCgroup } from './cgroup-kill.ts';
import { ExitWatcher } from './exit-watcher.ts';
import { signalGroupIfOurs } from './kill-group.ts';
import { readExit, removeRunFiles, RunFileSweep, type RunEntry } from './run-dir.ts';
import { ShimLiveness } from './shim-liveness.ts';
import { findShimBinary, SHIM_BINARY_PLACES, ShimClient } from './shim-client.ts';
import type { RunRecord, ShimExit } from './shim-protocol.ts';

/** Period of the safety poll over instances whose shim writes their exit file. */
export const SAFETY_POLL_MS = 2000;

/** An instance's shim: the token naming its run files and cgroups, the membership cgroup it joined. */
export interface ShimHandle {
  readonly token: string;
  readonly cgroup: string | undefined;
  readonly shimPid: number;
}

/** Options of {@link ShimWatch}. */
export interface ShimWatchOptions {
  readonly runDir: string;
  readonly clock: Clock;
  /** The helper: a client, none (direct spawns), or null to look for the built binary on first use. */
  readonly client: ShimClient | undefined | null;
  /** This executor is the controller: it may kill leftovers and remove run files. */
  readonly owner: boolean;
  /** Whether instance cgroups can be made, asked once with the helper's first use. */
  readonly hasCgroups: () => boolean;
  /** Says a degraded mode once (stderr and a Warning event). */
  readonly tell: (reason: string, message: string) => void;
  /** The exit file of the instance `key` arrived. */
  readonly onExit: (key: string, exit: ShimExit) => void;
  /** The program of `key` is gone and its shim with it: no exit file will come. Its cgroup is emptied already. */
  readonly onLost: (key: string) => void;
}

interface Watched {
  readonly shim: ShimHandle;
  readonly pid: number;
  readonly startTicks: number;
}

/** The helper and the watch over its shims, for one executor. */
export class ShimWatch {
  readonly #options: ShimWatchOptions;
  readonly #exits: ExitWatcher;
  readonly #safety: ShimLiveness;
  readonly #watched = new Map<string, Watched>();
  /** Instance key by token, while its exit is awaited. */
  readonly #keys = new Map<string, string>();
  /** Token of each exited instance still recorded: its run files go when its record does. */
  readonly #ended = new Map<string, string>();
  /** Tokens of unclaimed replacements, killed: their files go once their end is written. */
  readonly #discarding = new Set<string>();
  /** Run files of ended runs, removed together a little later. */
  readonly #sweep: RunFileSweep;
  readonly #prefix = randomBytes(3).toString('hex');
  #seq = 0;
  #client: ShimClient | undefined | null;

  constructor(options: ShimWatchOptions) {
    this.#options = options;
    this.#client = options.client;
    this.#exits = new ExitWatcher(options.runDir, (token, exit) => this.#onExit(token, exit));
    this.#safety = new ShimLiveness(options.clock, (key) => this.#onGone(key), SAFETY_POLL_MS);
    this.#sweep = new RunFileSweep(options.runDir, options.clock);
  }

  /** The helper connection, looked for on first use; says once when there is none. */
  client(): ShimClient | undefined {
    if (this.#client !== null) return this.#client;
    const binary = findShimBinary();
    this.#client = binary === undefined ? undefined : new ShimClient(binary);
    if (!binary) {
      this.#options.tell('SpawnHelperMissing', `spawn helper not found at ${SHIM_BINARY_PLACES} (run npm run build; it needs a C compiler); starting programs directly: exits are seen only while a controller runs, and stops reach only each program's process group`);
    } else if (!this.#options.hasCgroups()) {
      this.#options.tell('NoInstanceCgroup', "no cgroup can be made for instances (no permission or no cgroup filesystem); each program's shim still kills its descendants, and limits are watched by the monitor");
    }
    return this.#client;
  }

  /** Whether starts go through the helper (without it, instances are found by their marker). */
  available(): boolean {
    return this.#client !== undefined && (this.#client !== null || findShimBinary() !== undefined);
  }

  /** Starts the helper ahead of the first spawn, where there is one. */
  warm(): void {
    this.client()?.warm();
  }

  /** A token for a new start of `instance`: names its run files and cgroups. */
  newToken(instance: string): string {
    this.#exits.open();
    return `${instance}.${this.#prefix}${(this.#seq++).toString(36)}`;
  }

  /** Watches the program of `key` (pid, start time) that `shim` supervises; reports its exit once. */
  watch(key: string, shim: ShimHandle, instance: { readonly pid: number; readonly startTicks: number }): void {
    this.#watched.set(key, { shim, pid: instance.pid, startTicks: instance.startTicks });
    this.#keys.set(shim.token, key);
    this.#exits.open();
    this.#safety.add(key, instance.pid, instance.startTicks, this.#byShim(shim));
    this.#exits.add(shim.token);
  }

  /** Stops watching `key`. */
  unwatch(key: string): void {
    const watched = this.#watched.get(key);
    if (!watched) return;
    this.#watched.delete(key);
    this.#keys.delete(watched.shim.token);
    this.#exits.remove(watched.shim.token);
    this.#safety.remove(key);
  }

  /** The exit file of `token`, read now. */
  readExit(token: string): ShimExit | undefined {
    return readExit(this.#options.runDir, token);
  }

  /** `key` is recorded as exited; its run files (of `token`) go once {@link dropEnded} says so. */
  ended(key: string, token: string): void {
    this.dropEnded(key);
    this.#ended.set(key, token);
  }

  /** The exited record of `key` is gone (replaced in its slot, or forgotten): so are its run files. */
  dropEnded(key: string): void {
    const token = this.#ended.get(key);
    if (token === undefined) return;
    this.#ended.delete(key);
    // On every restart, between the helper's answer and the start's record: swept later.
    if (this.#options.owner) this.#sweep.add(token);
  }

  /** A run file that names no instance of ours any more: what is left of it is killed, its files removed. */
  discard(entry: RunEntry): void {
    if (!this.#options.owner) return;
    if (isRunAlive(entry)) signalGroupIfOurs(entry.run.pid, entry.run.startTicks, 'SIGKILL');
    if (entry.run.cgroup !== '') killAndRemoveCgroup(entry.run.cgroup);
    removeRunFiles(this.#options.runDir, entry.token);
  }

  /**
   * A program a standing order started that nobody claims: killed (its group and cgroup), and
   * its run files removed once its shim has written its end.
   */
  discardReplacement(token: string, run: RunRecord | undefined): void {
    if (run && isRunAlive({ token, run, exit: undefined })) signalGroupIfOurs(run.pid, run.startTicks, 'SIGKILL');
    if (run && run.cgroup !== '') killCgroup(run.cgroup);
    this.#discarding.add(token);
    this.#exits.open();
    this.#exits.add(token);
  }

  /** Releases the watches and the helper's pipe (the helper exits once its last shim has). */
  close(): void {
    this.#sweep.flush();
    this.#safety.close();
    this.#exits.close();
    this.#client?.close();
  }

  // The shim whose death the safety poll looks for; none (0: the program itself is polled) when
  // no inotify watch tells exit files, so the poll finds each end within its period.
  #byShim(shim: ShimHandle): number {
    return this.#exits.watching() ? shim.shimPid : 0;
  }

  #onExit(token: string, exit: ShimExit): void {
    if (this.#discarding.delete(token)) {
      removeRunFiles(this.#options.runDir, token);
      return;
    }
    const key = this.#keys.get(token);
    if (key === undefined) return;
    this.unwatch(key);
    this.#options.onExit(key, exit);
  }

  // The program is gone: its exit file says how, else its shim is about to write it, else the
  // shim died with it and nobody will.
  #onGone(key: string): void {
    const watched = this.#watched.get(key);
    if (!watched || this.#exits.check(watched.shim.token)) return;
    if (isShimAlive(watched.shim.shimPid)) {
      this.#safety.add(key, watched.pid, watched.startTicks, this.#byShim(watched.shim));
      return;
    }
    this.unwatch(key);
    if (watched.shim.cgroup !== undefined) killAndRemoveCgroup(watched.shim.cgroup);
    this.#options.onLost(key);
  }
}
