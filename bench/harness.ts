/**
 * Bench helpers: a `tend up` child on a temp manifest dir with its own state dir, its event stream,
 * and /proc readings of the controller (RSS, CPU time in ns from schedstat).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TendEvent } from '../src/model/event.ts';
import { controllerRunning, streamApi } from '../src/api/client.ts';

export const BIN = join(import.meta.dirname, '..', 'bin', 'tend.js');
/** The installed `tend` command (package.json's bin), which runs BIN through `sh`. */
export const COMMAND = join(import.meta.dirname, '..', 'bin', 'tend');

/**
 * Extra Node.js options for the controller under test, e.g.
 * `BENCH_CONTROLLER_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- churn`
 * (Node refuses `--cpu-prof` in NODE_OPTIONS).
 */
const CONTROLLER_NODE_OPTIONS = (process.env.BENCH_CONTROLLER_NODE_OPTIONS ?? '').split(' ').filter(Boolean);

export interface Controller {
  readonly dir: string;
  readonly stateDir: string;
  readonly child: ChildProcess;
  /** Resolves with the first event matching `match` that arrives after this call. */
  next(match: (event: TendEvent) => boolean): Promise<TendEvent>;
  /** Resolves once `count` events matching `match` arrived after this call. */
  count(match: (event: TendEvent) => boolean, count: number): Promise<void>;
  stop(): Promise<number>;
}

/** A temp folder holding `manifests/` and `state/`. */
export function tempWorld(): { root: string; dir: string; stateDir: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'tend-bench-'));
  const dir = join(root, 'manifests');
  mkdirSync(dir);
  return { root, dir, stateDir: join(root, 'state'), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** How `tend up` is started: arguments after its own, Node options, and whether to follow its events. */
export interface ControllerStart {
  readonly args?: readonly string[];
  readonly nodeArgs?: readonly string[];
  /** Connect to the event stream (default true). */
  readonly stream?: boolean;
}

/** Starts `tend up` and resolves once its API answers and, unless `stream` is false, its event stream is connected. */
export async function startController(dir: string, stateDir: string, env: NodeJS.ProcessEnv = process.env, start: ControllerStart = {}): Promise<Controller> {
  const { args = [], nodeArgs = [], stream = true } = start;
  const child = spawn(process.execPath, [...CONTROLLER_NODE_OPTIONS, ...nodeArgs, BIN, 'up', '-d', dir, '--state-dir', stateDir, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Generous: on a loaded machine a controller with many files takes seconds to answer.
  const deadline = Date.now() + 60_000;
  while (!(await controllerRunning(stateDir))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`tend up did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const waiters = new Set<(event: TendEvent) => void>();
  let connected = false;
  if (stream) {
    void streamApi(stateDir, '/v1/events?follow=1', (data) => {
      if (!connected) return;
      for (const waiter of [...waiters]) waiter(data as TendEvent);
    }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    connected = true;
  }
  return {
    dir,
    stateDir,
    child,
    next: (match) =>
      new Promise((resolve) => {
        const waiter = (event: TendEvent): void => {
          if (!match(event)) return;
          waiters.delete(waiter);
          resolve(event);
        };
        waiters.add(waiter);
      }),
    count: (match, count) =>
      new Promise((resolve) => {
        let seen = 0;
        const waiter = (event: TendEvent): void => {
          if (match(event) && ++seen === count) {
            waiters.delete(waiter);
            resolve();
          }
        };
        waiters.add(waiter);
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code ?? -1));
        child.kill('SIGTERM');
      }),
  };
}

/** Resident set size of `pid` in bytes. */
export function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) * 1024;
}

/** Proportional set size of `pid` in bytes (its shared pages divided among their users). */
export function pssBytes(pid: number): number {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0) * 1024;
}

/** CPU time of all threads of `pid`, in ns (schedstat). */
export function cpuNs(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // Thread ended.
    }
  }
  return total;
}

/** Percentile of `values` (0..100), nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[rank] ?? NaN;
}

/** A Process manifest. */
export function processYaml(name: string, options: { replicas?: number; command?: string[]; backoff?: string } = {}): string {
  const command = JSON.stringify(options.command ?? ['sleep', '3600']);
  return [
    'apiVersion: tend/v1',
    'kind: Process',
    `metadata: {name: ${name}}`,
    'spec:',
    `  command: ${command}`,
    `  replicas: ${options.replicas ?? 1}`,
    '  stop: {gracePeriod: 5s}',
    ...(options.backoff ? [`  backoff: ${options.backoff}`] : []),
    '',
  ].join('\n');
}

/** Waits `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
