/** Keys of the objects a pass plans and a status lists. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { knownKeys } from '../../src/model/object.ts';

test('known keys: every desired or observed key once, sorted', () => {
  const desired = new Map([['process/web', 1], ['job/backup', 2]]);
  const observed = new Map([['process/old', []], ['process/web', []]]);
  assert.deepEqual(knownKeys(desired, observed), ['job/backup', 'process/old', 'process/web']);
  assert.deepEqual(knownKeys(new Map(), new Map()), []);
});
