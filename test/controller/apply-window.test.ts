import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CANCELLED, createApplyWindow } from '../../src/controller/apply-window.ts';

// A task that resolves when told to, noting when it began.
function gate(log: string[], name: string): { task: () => Promise<string>; open: () => void } {
  let open: () => void = () => undefined;
  const done = new Promise<string>((resolve) => (open = () => resolve(name)));
  return { task: () => (log.push(name), done), open };
}

test('at most `size` tasks run at once; the rest begin in the order they were handed in', async () => {
  const window = createApplyWindow(2);
  const log: string[] = [];
  const gates = ['a', 'b', 'c', 'd'].map((name) => gate(log, name));
  const results = gates.map((g) => window.run(g.task));
  assert.deepEqual(log, ['a', 'b'], 'two begin at once');
  gates[1]?.open();
  await results[1];
  assert.deepEqual(log, ['a', 'b', 'c'], 'a finished task lets the next in');
  gates[0]?.open();
  await results[0];
  assert.deepEqual(log, ['a', 'b', 'c', 'd']);
  gates[2]?.open();
  gates[3]?.open();
  assert.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd']);
});

test('cancel drops waiting and later tasks; running ones finish', async () => {
  const window = createApplyWindow(1);
  const log: string[] = [];
  const first = gate(log, 'first');
  const running = window.run(first.task);
  const waiting = window.run(gate(log, 'waiting').task);
  window.cancel();
  assert.equal(await waiting, CANCELLED);
  assert.equal(await window.run(gate(log, 'later').task), CANCELLED);
  first.open();
  assert.equal(await running, 'first');
  assert.deepEqual(log, ['first'], 'nothing dropped ever began');
});

test('a task that throws frees its place and rejects', async () => {
  const window = createApplyWindow(1);
  const failed = window.run(() => {
    throw new Error('bug');
  });
  await assert.rejects(failed, /bug/);
  assert.equal(await window.run(() => Promise.resolve('next')), 'next');
});
