import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHistoryStore } from '../../src/controller/store.ts';

const sync = (store: ReturnType<typeof createHistoryStore>, contentHash: string, keepOverride = false): number => {
  store.syncGenerations([{ key: 'process/web', contentHash, keepOverride }]);
  return store.get().get('process/web')?.generation ?? 0;
};

test('generation bumps only when the content hash changes', () => {
  const store = createHistoryStore();
  assert.equal(sync(store, 'h1'), 1);
  assert.equal(sync(store, 'h1'), 1);
  assert.equal(sync(store, 'h2'), 2);
});

test('a content change clears a stop override unless told to keep it', () => {
  const store = createHistoryStore();
  sync(store, 'h1');
  store.setOverride('process/web', { type: 'stopped', at: 1, generation: 1 });
  sync(store, 'h2', true);
  assert.ok(store.get().get('process/web')?.override);
  sync(store, 'h3');
  assert.equal(store.get().get('process/web')?.override, undefined);
});

test('restarts count up on restarts and start over on a fresh start', () => {
  const store = createHistoryStore();
  store.recordStart('process/web', 0, 0, false);
  store.recordStart('process/web', 0, 1, true);
  store.recordStart('process/web', 0, 2, true);
  assert.deepEqual(store.get().get('process/web')?.slots[0], { restarts: 2, backoffAttempt: 2 });
  store.recordStart('process/web', 0, 0, false);
  assert.deepEqual(store.get().get('process/web')?.slots[0], { restarts: 0, backoffAttempt: 0 });
});

test('history is immutable: an old snapshot does not change', () => {
  const store = createHistoryStore();
  store.recordStart('process/web', 0, 0, false);
  const before = store.get();
  store.recordStart('process/web', 0, 1, true);
  assert.equal(before.get('process/web')?.slots[0]?.restarts, 0);
  assert.throws(() => {
    (before.get('process/web')?.slots as Record<number, unknown>)[0] = {};
  });
});

test('trimSlots drops removed replicas and drop forgets the object', () => {
  const store = createHistoryStore();
  store.recordStart('process/web', 0, 0, false);
  store.recordStart('process/web', 1, 0, false);
  store.trimSlots('process/web', 1);
  assert.deepEqual(Object.keys(store.get().get('process/web')?.slots ?? {}), ['0']);
  store.drop('process/web');
  assert.equal(store.get().has('process/web'), false);
});

test('failures are appended, bounded, and the newest of an instance is marked recovered', () => {
  const store = createHistoryStore();
  for (let i = 0; i < 105; i++) store.recordFailure('process/web', { at: i, instance: 'web-0', type: 'Crash', exitCode: 1, signal: null });
  const failures = store.get().get('process/web')?.failures ?? [];
  assert.equal(failures.length, 100);
  const before = store.get();
  store.recordRecovery('process/web', 'web-1', 500);
  assert.equal(store.get(), before, 'no failure of web-1: nothing changes');
  store.recordRecovery('process/web', 'web-0', 500);
  assert.equal(store.get().get('process/web')?.failures?.at(-1)?.recoveredAt, 500);
  assert.equal(store.get().get('process/web')?.failures?.at(-2)?.recoveredAt, undefined);
});

// What the journal and the pass rely on: a snapshot handed out never changes afterwards, and a
// change replaces only the entry it touches (the others keep their identity).
test('a change leaves earlier snapshots as they were and other entries untouched', () => {
  const store = createHistoryStore();
  store.recordStart('process/web', 0, 0, false);
  store.recordStart('process/db', 0, 0, false);
  const before = store.get();
  const db = before.get('process/db');
  store.recordExit('process/web', 0, { code: 1, signal: null, at: 5, reason: 'Exited', requested: false });
  store.drop('process/gone');
  const after = store.get();
  assert.notEqual(after, before);
  assert.equal(before.get('process/web')?.slots[0]?.lastExit, undefined);
  assert.equal(after.get('process/web')?.slots[0]?.lastExit?.code, 1);
  assert.equal(after.get('process/db'), db);
  store.drop('process/db');
  assert.equal(store.get().has('process/db'), false);
  assert.equal(after.has('process/db'), true);
  assert.equal(store.get().size, 1);
});

test('writes between two reads land in one new snapshot; the older one and its entries never change', () => {
  const store = createHistoryStore();
  store.recordStart('process/web', 0, 0, false);
  const first = store.get();
  for (let replica = 1; replica < 1000; replica++) store.recordStart('process/web', replica, 0, false);
  store.recordStart('process/db', 0, 0, false);
  assert.equal(first.get('process/web') && Object.keys(first.get('process/web')?.slots ?? {}).length, 1, 'the earlier snapshot is untouched');
  assert.equal(first.has('process/db'), false);
  const second = store.get();
  assert.equal(Object.keys(second.get('process/web')?.slots ?? {}).length, 1000);
  assert.equal(store.get(), second, 'no write, same snapshot');
  assert.ok(Object.isFrozen(second.get('process/web')) && Object.isFrozen(second.get('process/web')?.slots) && Object.isFrozen(second.get('process/web')?.slots[999]));
  store.recordStart('process/web', 0, 1, true);
  assert.equal(second.get('process/web')?.slots[0]?.restarts, 0, 'a write after the read copies the entry again');
  assert.equal(store.get().get('process/web')?.slots[0]?.restarts, 1);
});
