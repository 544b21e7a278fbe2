/**
 * The controller's end of the spawn helper: starts one `tend-shim serve` child on first use,
 * writes spawn requests to its stdin and matches the answer lines on its stdout to them. The
 * helper is detached (its own session) and unref'd, and its pipes are ref'd only while an answer
 * is awaited, so a one-shot controller exits as soon as its spawns are answered while the helper
 * stays to reap its shims. A helper that dies is started again by the next request.
 * Must not: throw, or fork a program itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { encodeShimRequest, parseShimAnswer, type ShimAnswer, type ShimRequest } from './shim-protocol.ts';

// dist/cli/ (the bundled CLI) → dist/tend-shim; src/executor/local/ (tests through tsx) → dist/tend-shim.
const CANDIDATES = ['../tend-shim', '../../../dist/tend-shim'].map((path) => fileURLToPath(new URL(path, import.meta.url)));

/** The helper binary built by `npm run build`; undefined when there is none that can run. */
export function findShimBinary(): string | undefined {
  return CANDIDATES.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Where the helper binary is looked for, for the message that says it is missing. */
export const SHIM_BINARY_PLACES = CANDIDATES.join(' or ');

type Pending = (answer: ShimAnswer) => void;

/** Requests of one turn sent in one write to the helper, after the turn's first. */
export const SEND_BATCH = 8;

/** A connection to one helper process. */
export class ShimClient {
  readonly #binary: string;
  readonly #pending = new Map<number, Pending>();
  #child: ChildProcess | undefined;
  #buffered = '';
  #nextId = 1;
  /** The request pipe written to in this turn, and how many requests wait corked in it. */
  #turn: Writable | undefined;
  #corked = 0;

  constructor(binary: string) {
    this.#binary = binary;
  }

  /** Sends one request; resolves with the shim's answer (an `err` answer when the helper failed). */
  spawn(request: Omit<ShimRequest, 'id'>): Promise<ShimAnswer> {
    const id = this.#nextId++;
    const child = this.#child ?? this.#start();
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#refWhileWaiting(true);
      const stdin = child.stdin;
      if (!stdin || stdin.destroyed) return this.#fail(id, 'helper');
      this.#send(stdin, encodeShimRequest({ ...request, id }));
    });
  }

  /**
   * Starts the helper now if it does not run yet, so the first spawn does not wait for its
   * start (a controller calls this before it loads the manifests).
   */
  warm(): void {
    this.#child ??= this.#start();
  }

  /** Closes the request pipe: the helper exits once its last shim has. */
  close(): void {
    this.#child?.stdin?.end();
    this.#child = undefined;
  }

  // The first request of a turn goes out at once (the helper forks while the controller prepares
  // the next); later ones of the same turn go together, SEND_BATCH frames to one write, the rest
  // at the end of the turn: each write wakes a helper process, which takes the CPU from the
  // controller in the middle of a bring-up.
  #send(stdin: Writable, frame: Buffer): void {
    if (this.#turn !== stdin) {
      this.#flush();
      this.#turn = stdin;
      stdin.write(frame);
      process.nextTick(() => this.#flush());
      return;
    }
    if (this.#corked === 0) stdin.cork();
    stdin.write(frame);
    this.#corked += 1;
    if (this.#corked < SEND_BATCH) return;
    stdin.uncork();
    this.#corked = 0;
  }

  #flush(): void {
    if (this.#corked > 0) this.#turn?.uncork();
    this.#corked = 0;
    this.#turn = undefined;
  }

  #start(): ChildProcess {
    const child = spawn(this.#binary, ['serve'], { stdio: ['pipe', 'pipe', 'ignore'], detached: true });
    this.#child = child;
    child.unref();
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.#onData(chunk));
    child.stdin?.on('error', () => undefined);
    const lost = (): void => {
      if (this.#child === child) this.#child = undefined;
      for (const id of [...this.#pending.keys()]) this.#fail(id, 'helper');
    };
    child.once('error', lost);
    child.once('exit', lost);
    this.#refWhileWaiting(false, child);
    return child;
  }

  #onData(chunk: string): void {
    this.#buffered += chunk;
    let newline = this.#buffered.indexOf('\n');
    while (newline >= 0) {
      const answer = parseShimAnswer(this.#buffered.slice(0, newline));
      this.#buffered = this.#buffered.slice(newline + 1);
      if (answer) this.#settle(answer);
      newline = this.#buffered.indexOf('\n');
    }
  }

  #settle(answer: ShimAnswer): void {
    const resolve = this.#pending.get(answer.id);
    if (!resolve) return;
    this.#pending.delete(answer.id);
    if (this.#pending.size === 0) this.#refWhileWaiting(false);
    resolve(answer);
  }

  #fail(id: number, stage: string): void {
    this.#settle({ id, ok: false, stage, errno: 0 });
  }

  // The pipes keep the event loop alive only while an answer is awaited.
  #refWhileWaiting(waiting: boolean, child = this.#child): void {
    for (const pipe of [child?.stdout, child?.stdin] as (Socket | undefined)[]) {
      if (waiting) pipe?.ref();
      else pipe?.unref();
    }
  }
}
