/**
 * Standing restart orders on real processes: a program killed is started again by its own shim
 * (same parent process, no controller on the way), as the revision it ran, and the controller
 * records that restart as its own; a stop, an operator command or a controller shutdown disarms
 * first, so nothing runs after a stop; a controller restart adopts the replacement; an order
 * never fires without its controller. Every wait polls a condition with a deadline.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Executor } from '../../src/executor/executor.ts';
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts';
import type { StandingOrder, StartAction } from '../../src/model/action.ts';
import { systemClock } from '../../src/platform/clock.ts';
import { makeSpec, startAction, stopAction } from '../executor/contract.ts';
import { alive, BIN, createWorld, exited, itemOf, markedPids, processManifest, removeWorld, waitFor, type World } from './harness.ts';

const ZERO = 'backoff: {strategy: fixed, initialDelay: 0s, maxDelay: 0s, jitter: 0}';

function ppidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Field 19 of /proc/<pid>/stat: the nice value. */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

function envOf(pid: number): Map<string, string> {
  const pairs = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter((e) => e.includes('='));
  return new Map(pairs.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

function kill(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function runFiles(stateDir: string, suffix: string): string[] {
  try {
    return readdirSync(join(stateDir, 'run')).filter((name) => name.endsWith(suffix));
  } catch {
    return [];
  }
}

// Waits for an instance of `object` other than `seen` (a live process that leads its own group, as
// an instance's program does: not a child it forked), and gives it from that same look: a process
// in the middle of its exec may not show its environment to the next one.
async function replacementOf(world: World, object: string, what: string, ...seen: number[]): Promise<number> {
  let found: number | undefined;
  await waitFor(what, () => (found = livePidsOf(world, object).find((pid) => !seen.includes(pid) && leadsGroup(pid))) !== undefined);
  return found ?? 0;
}

function leadsGroup(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pid;
  } catch {
    return false;
  }
}

/** Live pids of the instances of `object` (by TEND_OBJECT in their environment) among the marked ones. */
function livePidsOf(world: World, object: string): number[] {
  return world.markedPids().filter((pid) => {
    try {
      return envOf(pid).get('TEND_OBJECT') === object;
    } catch {
      return false;
    }
  });
}

function events(world: World, object: string): { reason: string; message: string }[] {
  const text = readFileSync(join(world.stateDir, 'events.jsonl'), 'utf8');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { object: string; reason: string; message: string }).filter((e) => e.object === object);
}

/** `tend <args>` for `world`, run in the background; resolves with its exit code. */
function tendAsync(world: World, ...args: string[]): Promise<number | null> {
  const child = spawn(process.execPath, [BIN, ...args, '-d', world.dir, '--state-dir', world.stateDir], { stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function onTmpfs(path: string): boolean {
  try {
    return statfsSync(path).type === 0x01021994;
  } catch {
    return false;
  }
}

const pidOf = (world: World, key: string): number | null => itemOf(world.items(), key).instances[0]?.pid ?? null;

describe('tend up with a zero-backoff program', () => {
  let world: World;
  let controller: ChildProcess;

  before(async () => {
    world = createWorld();
    world.write('fast.yaml', processManifest('fast', 'command: ["sleep", "100000"]', 'restartPolicy: Always', ZERO));
    controller = await world.up();
  });

  after(() => world.cleanup());

  test('a killed program is started again by its own shim, as the revision it ran, recorded as a restart', async () => {
    await waitFor('fast to run with an armed order', () => pidOf(world, 'process/fast') !== null && runFiles(world.stateDir, '.order').length === 1);
    const first = pidOf(world, 'process/fast') ?? 0;
    const shim = ppidOf(first);
    const revision = envOf(first).get('TEND_SPEC_HASH');
    const env = envOf(first);
    kill(first);
    const second = await replacementOf(world, 'process/fast', 'a replacement', first);
    assert.equal(ppidOf(second), shim, 'the same shim started it: no controller or helper on the way');
    assert.equal(envOf(second).get('TEND_SPEC_HASH'), revision, 'the revision it was started with');
    assert.equal(envOf(second).get('TEND_INSTANCE'), 'fast-0');
    assert.deepEqual(envOf(second), env, 'the environment the program it replaced ran with, to the last variable');
    // The shim may run above tend's priority to start it sooner; the program runs at tend's own.
    await waitFor('the program at tend\'s priority', () => niceOf(second) === niceOf(controller.pid ?? 0));
    await waitFor('the restart to be recorded', () => pidOf(world, 'process/fast') === second);
    const instance = itemOf(world.items(), 'process/fast').instances[0];
    assert.equal(instance?.restarts, 1);
    assert.equal(instance?.lastExit?.signal, 'SIGKILL');
    const told = events(world, 'process/fast').map((e) => `${e.reason} ${e.message}`);
    assert.ok(told.some((e) => e.startsWith('Exited') && e.includes(`(pid ${first}) was killed by SIGKILL`)), told.join('\n'));
    assert.ok(told.some((e) => e.startsWith('Started') && e.includes(`(pid ${second})`) && e.includes('restarting (attempt 1)')), told.join('\n'));
    // The replacement is armed in turn.
    await waitFor('the replacement to be armed', () => runFiles(world.stateDir, '.order').length === 1);
  });

  test('the run files live on a tmpfs: the state dir\'s run links to a private folder there', { skip: onTmpfs('/dev/shm') ? false : 'no tmpfs at /dev/shm' }, async () => {
    await waitFor('an armed order', () => runFiles(world.stateDir, '.order').length === 1);
    const run = join(world.stateDir, 'run');
    assert.ok(lstatSync(run).isSymbolicLink());
    assert.ok(onTmpfs(run), readlinkSync(run));
    assert.equal(statSync(run).mode & 0o777, 0o700);
  });

  test('tend stop disarms first: nothing runs after it, even with the program killed at the same moment', async () => {
    for (let round = 0; round < 3; round++) {
      await waitFor('fast to run with an armed order', () => pidOf(world, 'process/fast') !== null && runFiles(world.stateDir, '.order').length === 1);
      const pid = pidOf(world, 'process/fast') ?? 0;
      // Round 0 kills the program as the command starts; the later rounds once it has returned.
      const stopping = tendAsync(world, 'stop', 'process/fast');
      if (round === 0) kill(pid);
      const code = await stopping;
      if (round > 0) kill(pid);
      assert.equal(code, 0);
      await waitFor('fast to be Stopped', () => itemOf(world.items(), 'process/fast').status.phase === 'Stopped');
      await waitFor('nothing of fast to run', () => livePidsOf(world, 'process/fast').length === 0);
      assert.equal(runFiles(world.stateDir, '.order').length, 0, 'no order is left armed');
      assert.equal(world.tend('start', 'process/fast').code, 0);
    }
  });

  test('a controller restart adopts the replacement', async () => {
    await waitFor('fast to run with an armed order', () => pidOf(world, 'process/fast') !== null && runFiles(world.stateDir, '.order').length === 1);
    const first = pidOf(world, 'process/fast') ?? 0;
    const restartsBefore = itemOf(world.items(), 'process/fast').instances[0]?.restarts ?? 0;
    kill(first);
    await waitFor('the restart to be recorded', () => {
      const instance = itemOf(world.items(), 'process/fast').instances[0];
      return instance?.pid !== first && instance?.pid != null && instance.restarts === restartsBefore + 1;
    });
    const second = pidOf(world, 'process/fast') ?? 0;
    controller.kill('SIGKILL');
    await exited(controller);
    controller = await world.up();
    await waitFor('the replacement adopted', () => pidOf(world, 'process/fast') === second && itemOf(world.items(), 'process/fast').status.phase === 'Running');
    assert.ok(alive(second));
    assert.deepEqual(livePidsOf(world, 'process/fast'), [second], 'adopted, not started again');
  });

  test('an order that fired while its controller could not record it is recorded by the next controller', async () => {
    await waitFor('fast to run with an armed order', () => pidOf(world, 'process/fast') !== null && runFiles(world.stateDir, '.order').length === 1);
    const first = pidOf(world, 'process/fast') ?? 0;
    const restartsBefore = itemOf(world.items(), 'process/fast').instances[0]?.restarts ?? 0;
    // The controller still runs (so the order fires) but hears nothing before it dies.
    controller.kill('SIGSTOP');
    kill(first);
    const second = await replacementOf(world, 'process/fast', 'a replacement', first);
    controller.kill('SIGKILL');
    await exited(controller);
    assert.equal(itemOf(world.items(), 'process/fast').instances[0]?.pid, second, 'a get with no controller shows the replacement');
    assert.ok(alive(second), 'and leaves it running');
    controller = await world.up();
    await waitFor('the restart recorded, with the replacement as the instance', () => {
      const instance = itemOf(world.items(), 'process/fast').instances[0];
      return instance?.pid === second && instance.restarts === restartsBefore + 1;
    });
    assert.equal(itemOf(world.items(), 'process/fast').instances[0]?.lastExit?.signal, 'SIGKILL');
    assert.deepEqual(livePidsOf(world, 'process/fast'), [second], 'taken as the restart, not started again');
    const told = events(world, 'process/fast').map((e) => `${e.reason} ${e.message}`);
    assert.ok(told.some((e) => e.startsWith('Exited') && e.includes(`(pid ${first}) was killed by SIGKILL`)), told.join('\n'));
    assert.ok(told.some((e) => e.startsWith('Started') && e.includes(`(pid ${second})`) && e.includes('restarting')), told.join('\n'));
  });

  test('an order never fires without its controller: the next controller restarts the program', async () => {
    await waitFor('fast to run with an armed order', () => pidOf(world, 'process/fast') !== null && runFiles(world.stateDir, '.order').length === 1);
    const first = pidOf(world, 'process/fast') ?? 0;
    const shim = ppidOf(first);
    const exitsBefore = new Set(runFiles(world.stateDir, '.exit'));
    controller.kill('SIGKILL');
    await exited(controller);
    kill(first);
    await waitFor('the shim to write the end', () => runFiles(world.stateDir, '.exit').some((name) => !exitsBefore.has(name)));
    const end = runFiles(world.stateDir, '.exit').find((name) => !exitsBefore.has(name)) ?? '';
    assert.doesNotMatch(readFileSync(join(world.stateDir, 'run', end), 'utf8'), /next=/);
    assert.deepEqual(livePidsOf(world, 'process/fast'), [], 'no replacement while no controller runs');
    controller = await world.up();
    await waitFor('fast restarted by the new controller', () => livePidsOf(world, 'process/fast').length === 1);
    assert.notEqual(ppidOf(livePidsOf(world, 'process/fast')[0] ?? 0), shim);
  });
});

describe('OnFailure with a zero backoff', () => {
  let world: World;

  before(async () => {
    world = createWorld();
    const done = join(world.root, 'done');
    world.write('once.yaml', processManifest('once', `command: ["sh", "-c", "while [ ! -e ${done} ]; do sleep 0.02; done"]`, 'restartPolicy: OnFailure', ZERO));
    await world.up();
  });

  after(() => world.cleanup());

  test('a failure is restarted by the shim; a clean exit is not restarted', async () => {
    await waitFor('once to run with an armed order', () => pidOf(world, 'process/once') !== null && runFiles(world.stateDir, '.order').length === 1);
    const first = pidOf(world, 'process/once') ?? 0;
    const shim = ppidOf(first);
    kill(first, 'SIGTERM');
    const second = await replacementOf(world, 'process/once', 'a replacement', first);
    assert.equal(ppidOf(second), shim);
    await waitFor('the replacement armed', () => pidOf(world, 'process/once') === second && runFiles(world.stateDir, '.order').length === 1);
    world.write('../done', '');
    await waitFor('once to succeed', () => itemOf(world.items(), 'process/once').instances[0]?.phase === 'Succeeded');
    assert.deepEqual(livePidsOf(world, 'process/once'), []);
    assert.equal(itemOf(world.items(), 'process/once').instances[0]?.restarts, 1);
  });
});

describe('the local executor with an armed order', () => {
  const roots: string[] = [];

  after(async () => {
    for (const root of roots) await removeWorld(root, join(root, 'state'));
  });

  async function armedExecutor(): Promise<{ executor: Executor; start: StartAction; pid: number; stateDir: string; stateId: string }> {
    const root = mkdtempSync(join(tmpdir(), 'tend-it-'));
    roots.push(root);
    const stateDir = join(root, 'state');
    const stateId = `it-order-${process.pid}-${roots.length}`;
    const executor = createLocalExecutor({ stateDir, stateId, clock: systemClock, cutAbandonedHooks: true });
    const start = startAction('process/race', makeSpec(['sleep', '100000']));
    const result = await executor.apply(start);
    assert.ok(result.ok && result.instance);
    const order: StandingOrder = { instance: start.instance, on: 'any', start: { ...start, reason: 'RestartPolicy', countsAsRestart: true, backoffAttempt: 1 } };
    executor.arm?.('process/race', [order]);
    // Written once starts have paused for ARM_QUIET_MS.
    await waitFor('the order to be written', () => runFiles(stateDir, '.order').length === 1);
    return { executor, start, pid: result.instance.pid, stateDir, stateId };
  }

  test('an order planned right after a start is written once starts pause, and not for an instance stopped meanwhile', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tend-it-'));
    roots.push(root);
    const stateDir = join(root, 'state');
    const stateId = `it-order-${process.pid}-quiet`;
    const executor = createLocalExecutor({ stateDir, stateId, clock: systemClock, cutAbandonedHooks: true });
    const orderOf = (start: StartAction): StandingOrder => ({ instance: start.instance, on: 'any', start: { ...start, reason: 'RestartPolicy', countsAsRestart: true, backoffAttempt: 1 } });
    const kept = startAction('process/kept', makeSpec(['sleep', '100001']));
    const gone = startAction('process/gone', makeSpec(['sleep', '100002']));
    assert.ok((await executor.apply(kept)).ok && (await executor.apply(gone)).ok);
    const armedAt = Date.now();
    executor.arm?.('process/kept', [orderOf(kept)]);
    executor.arm?.('process/gone', [orderOf(gone)]);
    const written = runFiles(stateDir, '.order').length;
    if (Date.now() - armedAt < 100) assert.equal(written, 0, 'nothing is written while starts have just happened');
    assert.ok((await executor.apply(stopAction(gone))).ok);
    await waitFor('the order of the running instance', () => runFiles(stateDir, '.order').length === 1);
    assert.ok(Date.now() - armedAt >= 200, 'written after the pause');
    assert.ok(runFiles(stateDir, '.order')[0]?.startsWith('kept-0.'), 'none for the instance stopped meanwhile');
    // Closed (every order disarmed) before the kill: an order left armed would fire a replacement.
    const live = executor.snapshot().filter((instance) => instance.state !== 'exited');
    await executor.close();
    for (const instance of live) kill(-instance.pid);
    await waitFor('nothing of it to run', () => markedPids(stateId).length === 0);
  });

  test('the orders of a bring-up are written object by object, giving up the turn between them when asked to', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tend-it-'));
    roots.push(root);
    const stateDir = join(root, 'state');
    const stateId = `it-order-${process.pid}-sliced`;
    // Asked after each object's orders while more wait: how many were written by then.
    const writtenAtTurn: number[] = [];
    const yieldTurn = (): Promise<void> => {
      writtenAtTurn.push(runFiles(stateDir, '.order').length);
      return new Promise((resolve) => setImmediate(resolve));
    };
    const executor = createLocalExecutor({ stateDir, stateId, clock: systemClock, cutAbandonedHooks: true, yieldTurn });
    const starts = ['a', 'b', 'c'].map((name) => startAction(`process/${name}`, makeSpec(['sleep', '100003'])));
    for (const start of starts) assert.ok((await executor.apply(start)).ok);
    for (const start of starts) executor.arm?.(start.object, [{ instance: start.instance, on: 'any', start: { ...start, reason: 'RestartPolicy', countsAsRestart: true, backoffAttempt: 1 } }]);
    await waitFor('every order to be written', () => runFiles(stateDir, '.order').length === 3);
    assert.deepEqual(writtenAtTurn, [1, 2], 'one object per turn, no turn asked after the last');
    const live = executor.snapshot().filter((instance) => instance.state !== 'exited');
    await executor.close();
    for (const instance of live) kill(-instance.pid);
    await waitFor('nothing of it to run', () => markedPids(stateId).length === 0);
  });

  const stateOf = (executor: Executor): string | undefined => executor.snapshot().find((i) => i.id === 'race-0')?.state;

  test('a stop applied just after the kill leaves nothing running, whether the shim took the order first or not', async () => {
    for (const lagMs of [0, 1, 2, 5, 10]) {
      const { executor, start, pid, stateDir, stateId } = await armedExecutor();
      kill(pid);
      // The race's setup, not a check: let the shim reach the order first in the later rounds.
      if (lagMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, lagMs);
      const stopped = await executor.apply(stopAction(start));
      assert.ok(stopped.ok);
      await waitFor('the instance to be exited', () => stateOf(executor) === 'exited');
      await waitFor('nothing of it to run', () => markedPids(stateId).length === 0);
      await waitFor('no order or stray run file left', () => runFiles(stateDir, '.order').length === 0 && runFiles(stateDir, '.run').length <= 1);
      await executor.close();
    }
  });

  test('a replacement the pass that saw the end does not claim is killed by settle', async () => {
    const { executor, pid, stateId } = await armedExecutor();
    kill(pid);
    await waitFor('the end with its replacement', () => stateOf(executor) === 'exited' && markedPids(stateId).length === 1);
    const replacement = markedPids(stateId)[0] ?? 0;
    assert.notEqual(replacement, pid);
    executor.settle?.();
    assert.ok(alive(replacement), 'not observed by a pass yet: kept');
    await executor.observe();
    executor.settle?.();
    await waitFor('the unclaimed replacement gone', () => markedPids(stateId).length === 0);
    await executor.close();
  });

  test('a start the plan makes for the slot is answered with the replacement, not a new spawn', async () => {
    const { executor, start, pid, stateId } = await armedExecutor();
    const shim = ppidOf(pid);
    kill(pid);
    await waitFor('the end with its replacement', () => stateOf(executor) === 'exited' && markedPids(stateId).length === 1);
    const replacement = markedPids(stateId)[0] ?? 0;
    await executor.observe();
    const result = await executor.apply({ ...start, reason: 'RestartPolicy', countsAsRestart: true, backoffAttempt: 1 });
    assert.ok(result.ok);
    assert.equal(result.instance?.pid, replacement);
    assert.equal(ppidOf(replacement), shim);
    executor.settle?.();
    assert.ok(alive(replacement), 'claimed: settle keeps it');
    assert.deepEqual(markedPids(stateId), [replacement]);
    await executor.apply(stopAction(start));
    await waitFor('stopped', () => markedPids(stateId).length === 0);
    await executor.close();
  });
});

test('an order holds a secret by its name alone, and the shim gives the replacement the value the program ran with', async () => {
  const world = createWorld();
  try {
    world.write('sec.yaml', processManifest('sec', 'command: ["sleep", "100000"]', 'restartPolicy: Always', ZERO, 'env: {PLAIN: "p1", TOKEN: {value: "s3cret-value", secret: true}}'));
    await world.up();
    await waitFor('sec to run with an armed order', () => pidOf(world, 'process/sec') !== null && runFiles(world.stateDir, '.order').length === 1);
    const order = readFileSync(join(world.stateDir, 'run', runFiles(world.stateDir, '.order')[0] ?? ''));
    assert.equal(order.includes('s3cret-value'), false, 'no secret value in the order file');
    assert.ok(order.includes('\0ETOKEN\0') && order.includes('ePLAIN=p1'), 'the secret by name, the rest with values');
    const first = pidOf(world, 'process/sec') ?? 0;
    const shim = ppidOf(first);
    kill(first);
    const second = await replacementOf(world, 'process/sec', 'a replacement', first);
    assert.equal(ppidOf(second), shim, 'started by the shim on its order');
    assert.equal(envOf(second).get('TOKEN'), 's3cret-value');
    assert.equal(envOf(second).get('PLAIN'), 'p1');
    // Its own order in turn names the secret alone, and a second kill is served the same way.
    await waitFor('the replacement to be armed', () => pidOf(world, 'process/sec') === second && runFiles(world.stateDir, '.order').length === 1);
    kill(second);
    const third = await replacementOf(world, 'process/sec', 'a second replacement', first, second);
    assert.equal(ppidOf(third), shim);
    assert.equal(envOf(third).get('TOKEN'), 's3cret-value');
  } finally {
    await world.cleanup();
  }
});
