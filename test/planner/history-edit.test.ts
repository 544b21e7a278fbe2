/**
 * History edits applied as a run (a plan's edits, the store writing them): the same result as
 * applying each edit on its own, the input never changed, and the slots copied once per run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freeze } from 'immer';
import { editAll, editHistory, editInRun, type HistoryEdit } from '../../src/planner/history-edit.ts';
import type { ObjectHistory } from '../../src/model/history.ts';

const exit = (replica: number, at: number, failed = false): HistoryEdit => ({
  type: 'exit',
  replica,
  exit: { code: failed ? 1 : 0, signal: null, at, reason: 'Exited', requested: !failed },
  ...(failed ? { failure: { at, instance: `web-${replica}`, type: 'Crash', exitCode: 1, signal: null } } : {}),
});

const base: ObjectHistory = freeze({ generation: 1, contentHash: 'c', slots: { 0: { restarts: 2, backoffAttempt: 1 }, 7: { restarts: 0, backoffAttempt: 0 } } }, true);

test('a run of mixed edits equals the edits applied one by one, and leaves its input alone', () => {
  const edits: HistoryEdit[] = [
    exit(0, 10),
    exit(3, 11, true),
    { type: 'circuit', circuit: { state: 'Closed', failures: [] } },
    exit(0, 12, true),
    { type: 'trimSlots', replicas: 2 },
    exit(1, 13),
    { type: 'job', record: { specHash: 'h', arrivedAt: 1, retries: 0, requeues: 0 } },
    exit(5, 14),
  ];
  const oneByOne = edits.reduce<ObjectHistory | undefined>((h, e) => editHistory(h, e), base);
  assert.deepEqual(editAll(base, edits), oneByOne);
  assert.deepEqual(base.slots, { 0: { restarts: 2, backoffAttempt: 1 }, 7: { restarts: 0, backoffAttempt: 0 } });
  assert.equal(editAll(undefined, [exit(2, 1), exit(4, 2)])?.slots[4]?.lastExit?.at, 2);
  assert.equal(editAll(base, [exit(1, 1), { type: 'drop' }, exit(2, 2)])?.slots[1], undefined);
});

test('10,000 exits of one object copy its slots once', () => {
  const n = 10_000;
  const edits = Array.from({ length: n }, (_, i) => exit(i, 100 + i));
  const after = editAll(base, edits);
  assert.equal(Object.keys(after?.slots ?? {}).length, n);
  assert.equal(after?.slots[0]?.restarts, 2);
  assert.equal(after?.slots[n - 1]?.lastExit?.at, 100 + n - 1);
  // The second exit of a run writes into the slots the first made: same object, no copy.
  const first = editInRun({ entry: base, slots: undefined }, exit(0, 1));
  const second = editInRun(first, exit(1, 2));
  assert.equal(second.entry?.slots, first.entry?.slots);
  assert.notEqual(first.entry?.slots, base.slots);
});
