/**
 * The safety poll over shims, on real processes: children of this test stand in for a shim and
 * its program (this process is the shim's parent, as the helper is). A program whose shim is
 * alive is left to the exit file; one whose shim died is reported once it ends; with no shim the
 * program itself is polled.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { PidList, readChildren, ShimLiveness } from '../../src/executor/local/shim-liveness.ts';
import { readProcStat } from '../../src/executor/local/proc-stat.ts';
import { systemClock } from '../../src/platform/clock.ts';

const PERIOD_MS = 40;

async function sleeper(): Promise<ChildProcess & { pid: number }> {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return child as ChildProcess & { pid: number };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// Some ticks of the poll: enough for it to have seen what changed.
const ticks = (n: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, n * PERIOD_MS));

test('pids are parsed from the bytes of a children list and looked up; a refill replaces them', () => {
  const list = new PidList();
  list.fill(Buffer.from('6789 12 345 '), 12);
  assert.deepEqual([12, 345, 6789, 42, 34].map((pid) => list.has(pid)), [true, true, true, false, false]);
  list.fill(Buffer.from('42'), 2);
  assert.deepEqual([list.size, list.has(42), list.has(12)], [1, true, false]);
  const many = Array.from({ length: 1000 }, (_, i) => 7 * i + 3);
  list.fill(Buffer.from(many.reverse().join(' ')), many.join(' ').length);
  assert.equal(list.size, 1000);
  assert.ok(many.every((pid) => list.has(pid)) && !list.has(5));
});

test("this process's children list names a child it spawned", async () => {
  const child = await sleeper();
  try {
    const into = new PidList();
    assert.equal(readChildren(process.pid, into), true);
    assert.ok(into.has(child.pid));
    assert.equal(readChildren(2 ** 22 + 1, new PidList()), false, 'no such process: unreadable');
  } finally {
    await kill(child);
  }
});

test('a program whose shim lives is left to its exit file; one whose shim died is reported when it ends', async () => {
  const [shim, program] = [await sleeper(), await sleeper()];
  const gone: string[] = [];
  const liveness = new ShimLiveness(systemClock, (key) => gone.push(key), PERIOD_MS);
  try {
    const startTicks = readProcStat(program.pid)?.startTicks ?? -1;
    liveness.add('a', program.pid, startTicks, shim.pid);
    await kill(program);
    await ticks(5);
    assert.deepEqual(gone, [], 'the shim lives: it tells the end');
    const second = await sleeper();
    liveness.add('a', second.pid, readProcStat(second.pid)?.startTicks ?? -1, shim.pid);
    await kill(shim);
    await ticks(5);
    assert.deepEqual(gone, [], 'the shim died but its program runs on');
    await kill(second);
    await until(() => gone.length === 1, 'the end of a program without its shim is reported');
    await ticks(5);
    assert.deepEqual(gone, ['a'], 'once');
  } finally {
    liveness.close();
    await kill(shim);
    await kill(program);
  }
});

test('a program that ended with its shim is reported at the tick that finds the shim gone', async () => {
  const [shim, program] = [await sleeper(), await sleeper()];
  const gone: string[] = [];
  const liveness = new ShimLiveness(systemClock, (key) => gone.push(key), PERIOD_MS);
  try {
    liveness.add('b', program.pid, readProcStat(program.pid)?.startTicks ?? -1, shim.pid);
    await ticks(2);
    await Promise.all([kill(shim), kill(program)]);
    await until(() => gone.length === 1, 'reported');
    assert.deepEqual(gone, ['b']);
  } finally {
    liveness.close();
  }
});

test('with no shim to look for, the program itself is polled; a removed key is not reported', async () => {
  const [first, second] = [await sleeper(), await sleeper()];
  const gone: string[] = [];
  const liveness = new ShimLiveness(systemClock, (key) => gone.push(key), PERIOD_MS);
  try {
    liveness.add('c', first.pid, readProcStat(first.pid)?.startTicks ?? -1, 0);
    liveness.add('d', second.pid, readProcStat(second.pid)?.startTicks ?? -1, 0);
    await ticks(2);
    liveness.remove('d');
    await Promise.all([kill(first), kill(second)]);
    await until(() => gone.length === 1, 'reported');
    await ticks(5);
    assert.deepEqual(gone, ['c']);
  } finally {
    liveness.close();
  }
});
