import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createWorkQueue } from '../../src/controller/queue.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';

test('a key is queued once however often it is added', () => {
  const queue = createWorkQueue(createFakeClock());
  queue.add('a');
  queue.add('a');
  queue.add('b');
  assert.equal(queue.length, 2);
  assert.equal(queue.take(), 'a');
  assert.equal(queue.take(), 'b');
  assert.equal(queue.take(), undefined);
});

test('a key added while being worked on is worked on again after done', () => {
  const queue = createWorkQueue(createFakeClock());
  queue.add('a');
  assert.equal(queue.take(), 'a');
  queue.add('a');
  assert.equal(queue.take(), undefined, 'not handed out twice at once');
  queue.done('a');
  assert.equal(queue.take(), 'a');
});

test('a delayed key becomes ready at its time, keeping only the earliest', () => {
  const clock = createFakeClock();
  const queue = createWorkQueue(clock);
  queue.addAt('a', clock.now() + 100);
  queue.addAt('a', clock.now() + 50);
  queue.addAt('a', clock.now() + 80);
  clock.advance(49);
  assert.equal(queue.length, 0);
  clock.advance(1);
  assert.equal(queue.take(), 'a');
  queue.done('a');
  clock.advance(100);
  assert.equal(queue.length, 0, 'the later timers were dropped');
});

test('a delayed key whose timer fires before its time waits out the rest, then is ready once', () => {
  const inner = createFakeClock();
  // Timers longer than a millisecond fire one early, as Node's may by the wall clock.
  const clock = { ...inner, after: (ms: number, fn: () => void) => inner.after(ms > 1 ? ms - 1 : ms, fn) };
  const queue = createWorkQueue(clock);
  let woken = 0;
  queue.onReady(() => woken++);
  queue.addAt('a', inner.now() + 50);
  inner.advance(49);
  assert.equal(queue.length, 0, 'not ready before its time');
  inner.advance(1);
  assert.equal(queue.take(), 'a');
  assert.equal(woken, 1);
  queue.done('a');
  inner.advance(100);
  assert.equal(queue.length, 0);
  assert.equal(inner.pending, 0, 'no timer left');
});

test('an immediate add cancels a pending delayed add', () => {
  const clock = createFakeClock();
  const queue = createWorkQueue(clock);
  queue.addAt('a', clock.now() + 100);
  queue.add('a');
  assert.equal(clock.pending, 0);
});

test('failures back off exponentially per key until forgotten', () => {
  const clock = createFakeClock();
  const queue = createWorkQueue(clock);
  const readyAfter = (): number => {
    queue.addFailed('a');
    let waited = 0;
    while (queue.length === 0) {
      clock.advance(1);
      waited++;
    }
    queue.take();
    queue.done('a');
    return waited;
  };
  assert.deepEqual([readyAfter(), readyAfter(), readyAfter()], [5, 10, 20]);
  queue.forget('a');
  assert.equal(readyAfter(), 5);
});

test('onReady fires when the queue goes from no ready key to one', () => {
  const clock = createFakeClock();
  const queue = createWorkQueue(clock);
  let fired = 0;
  queue.onReady(() => fired++);
  queue.add('a');
  queue.addAt('b', clock.now() + 10);
  clock.advance(10);
  assert.equal(fired, 1, 'b joined a queue that was already awake');
  assert.deepEqual(queue.takeAll(), ['a', 'b']);
  queue.add('c');
  assert.equal(fired, 2);
});

test('takeAll hands out every ready key once; re-adds wait for done', () => {
  const queue = createWorkQueue(createFakeClock());
  queue.add('a');
  queue.add('b');
  assert.deepEqual(queue.takeAll(), ['a', 'b']);
  queue.add('a');
  assert.deepEqual(queue.takeAll(), []);
  queue.done('a');
  queue.done('b');
  assert.deepEqual(queue.takeAll(), ['a']);
});

test('doneAll ends a batch: every key free again, and one added meanwhile queued once more', () => {
  const queue = createWorkQueue(createFakeClock());
  for (const key of ['a', 'b', 'c']) queue.add(key);
  const batch = queue.takeAll();
  queue.add('b');
  assert.equal(queue.length, 0, 'b is being worked on');
  queue.doneAll(batch);
  assert.deepEqual(queue.takeAll(), ['b']);
  queue.doneAll(['b']);
  queue.add('a');
  assert.deepEqual(queue.takeAll(), ['a'], 'a was done, so it is queued at once');
  queue.add('c');
  queue.doneAll([]);
  assert.deepEqual(queue.takeAll(), ['c'], 'a still being worked on does not hold c');
});
