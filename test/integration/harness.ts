/**
 * Integration test harness: a temp manifest dir and state dir, the compiled `tend` CLI run as a
 * real process, `tend up` in the background, /proc readers, polling with a deadline, and a
 * teardown that kills every process carrying this state dir's marker.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stateIdOf } from '../../src/platform/state-dir.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'tend.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface World {
  readonly root: string;
  readonly dir: string;
  readonly stateDir: string;
  /** Writes a manifest file (relative to the manifest dir). */
  write(file: string, text: string): void;
  remove(file: string): void;
  /** Runs the CLI to completion with this world's dirs. */
  tend(...args: string[]): CliResult;
  /** Starts `tend up` (with extra arguments); resolves once its API answers. */
  up(args?: readonly string[]): Promise<ChildProcess>;
  /** `tend get -o json` items. */
  items(): Item[];
  /** Pids of live processes carrying this state dir's marker. */
  markedPids(): number[];
  cleanup(): Promise<void>;
}

export interface Item {
  readonly key: string;
  readonly generation: number;
  readonly revision: string;
  readonly status: { phase: string; reason: string; readyReplicas: number; restarts: number };
  readonly instances: { id: string; pid: number | null; phase: string; restarts: number; lastExit: { code: number | null; signal: string | null } | null }[];
}

/** A fresh world in a temp folder. */
export function createWorld(): World {
  const root = mkdtempSync(join(tmpdir(), 'tend-it-'));
  const dir = join(root, 'manifests');
  const stateDir = join(root, 'state');
  mkdirSync(dir);
  const controllers: ChildProcess[] = [];
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.TEND_STATE_DIR;
  const tend = (...args: string[]): CliResult => {
    const r = spawnSync(process.execPath, [BIN, ...args, '-d', dir, '--state-dir', stateDir], { encoding: 'utf8', env, timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const world: World = {
    root,
    dir,
    stateDir,
    write: (file, text) => {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    },
    remove: (file) => rmSync(join(dir, file), { force: true }),
    tend,
    async up(args = []) {
      const child = spawn(process.execPath, [BIN, 'up', '-d', dir, '--state-dir', stateDir, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      controllers.push(child);
      (child as ChildProcess & { stderrText: () => string }).stderrText = () => stderr;
      // A controller that crashed (a stack trace on stderr) says so in the test's output: the step
      // that fails next sees only a refused connection.
      child.once('close', (code) => {
        if (code !== 0 && /\n\s+at /.test(stderr)) process.stderr.write(`tend up (${stateDir}) crashed:\n${stderr}\n`);
      });
      await waitFor('tend up to answer', () => child.exitCode === null && tend('get', '-o', 'json').code === 0 && existsSock(stateDir));
      return child;
    },
    items: () => {
      const r = tend('get', '-o', 'json');
      if (r.code !== 0) throw new Error(`tend get failed: ${r.stderr}`);
      return (JSON.parse(r.stdout) as { items: Item[] }).items;
    },
    markedPids: () => markedPids(stateIdOf(stateDir)),
    async cleanup() {
      for (const child of controllers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      // A shim starts a replacement on a standing order only while the controller that armed it
      // runs: the programs are killed once every controller is gone, and again until none is
      // left. Lifecycle hooks carry no marker; a hook a killed controller left running works in
      // this world's folders.
      for (const child of controllers) await exited(child);
      await waitFor('marked processes to end', () => {
        for (const pid of world.markedPids()) killGroup(pid);
        for (const pid of pidsWorkingIn(root)) killGroup(pid);
        return world.markedPids().length === 0 && pidsWorkingIn(root).length === 0;
      });
      await removeWorld(root, stateDir);
    },
  };
  return world;
}

/**
 * Removes a world's folder once the spawn helper's shims of its state dir have ended: a shim
 * writes its program's exit file into `run/` just after the program ends, which would race a
 * plain recursive remove.
 */
export async function removeWorld(root: string, stateDir: string): Promise<void> {
  await waitFor('spawn helper shims to end', () => shimPids(stateDir).every((pid) => !alive(pid)));
  rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}

/** Pids of the shims named by the run files (`shim <pid>` lines) in `<stateDir>/run`. */
function shimPids(stateDir: string): number[] {
  const run = join(stateDir, 'run');
  let names: string[];
  try {
    names = readdirSync(run).filter((name) => name.endsWith('.run'));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      const match = /^shim (\d+)$/m.exec(readFileSync(join(run, name), 'utf8'));
      return match ? [Number(match[1])] : [];
    } catch {
      return [];
    }
  });
}

function existsSock(stateDir: string): boolean {
  try {
    return readdirSync(stateDir).includes('tend.sock');
  } catch {
    return false;
  }
}

/** Stderr collected from a `tend up` child. */
export function stderrOf(child: ChildProcess): string {
  return (child as ChildProcess & { stderrText?: () => string }).stderrText?.() ?? '';
}

/** Polls `check` every 25 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until `child` exits; resolves with its exit code. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** True while `/proc/<pid>` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Pids whose environment carries `TEND_STATE_ID=<stateId>`. */
export function markedPids(stateId: string): number[] {
  const marker = `TEND_STATE_ID=${stateId}`;
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return alive(pid) && readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker);
      } catch {
        return false;
      }
    });
}

/** Live pids whose working folder is `root` or under it. */
function pidsWorkingIn(root: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        const cwd = readlinkSync(`/proc/${pid}/cwd`);
        return (cwd === root || cwd.startsWith(`${root}/`)) && alive(pid);
      } catch {
        return false;
      }
    });
}

/** Pids in process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[2]) === pgid && fields[0] !== 'Z';
      } catch {
        return false;
      }
    });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

/** A Process manifest; `spec` lines are indented under `spec:`. */
export function processManifest(name: string, ...spec: string[]): string {
  return ['apiVersion: tend/v1', 'kind: Process', `metadata: {name: ${name}}`, 'spec:', ...spec.map((l) => `  ${l}`), ''].join('\n');
}

/** The item for `key`, or throws. */
export function itemOf(items: readonly Item[], key: string): Item {
  const item = items.find((i) => i.key === key);
  if (!item) throw new Error(`no ${key} in ${items.map((i) => i.key).join(', ')}`);
  return item;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
