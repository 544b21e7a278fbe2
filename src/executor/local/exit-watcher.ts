/**
 * Learns the end of each instance started through the spawn helper from its exit file: an
 * inotify watch (fs.watch) on the run dir tells the moment a shim renames `<token>.exit` into
 * place. A token registered after its file appeared is read at once. What a shim that died
 * cannot write, the executor's slow safety poll finds. Must not: throw, or keep the process alive.
 */
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { readExit } from './run-dir.ts';
import type { ShimExit } from './shim-protocol.ts';

/** Reports each watched token's exit once. */
export class ExitWatcher {
  readonly #runDir: string;
  readonly #onExit: (token: string, exit: ShimExit) => void;
  readonly #tokens = new Set<string>();
  #watcher: FSWatcher | undefined;

  constructor(runDir: string, onExit: (token: string, exit: ShimExit) => void) {
    this.#runDir = runDir;
    this.#onExit = onExit;
  }

  /** Starts the watch (making the run dir); call before the first spawn. */
  open(): void {
    if (this.#watcher) return;
    mkdirSync(this.#runDir, { recursive: true, mode: 0o750 });
    try {
      this.#watcher = watch(this.#runDir, { persistent: false }, (_event, name) => {
        if (typeof name === 'string' && name.endsWith('.exit')) this.check(name.slice(0, -'.exit'.length), true);
      });
      this.#watcher.on('error', () => this.#closeWatch());
    } catch {
      // No inotify watch left: the safety poll finds the exits, only later.
    }
  }

  /** Whether the inotify watch is up (else exits are found only by polling). */
  watching(): boolean {
    return this.#watcher !== undefined;
  }

  /** Watches `token`; reports at once when its exit file is there already. */
  add(token: string): void {
    this.#tokens.add(token);
    this.check(token);
  }

  /** Stops watching `token`. */
  remove(token: string): void {
    this.#tokens.delete(token);
  }

  /**
   * Reads the exit file of a watched token; reports and forgets it when complete. True if it did.
   * `present`: the watch saw the file appear, so it is read without asking first.
   */
  check(token: string, present = false): boolean {
    if (!this.#tokens.has(token)) return false;
    const exit = readExit(this.#runDir, token, present);
    if (!exit) return false;
    this.#tokens.delete(token);
    this.#onExit(token, exit);
    return true;
  }

  close(): void {
    this.#closeWatch();
    this.#tokens.clear();
  }

  #closeWatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
