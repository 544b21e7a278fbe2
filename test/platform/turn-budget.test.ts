/** The time-sliced yield: no turn is given up before the budget is spent, one is after. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alwaysAwaitable, createTurnBudget } from '../../src/platform/turn-budget.ts';

test('yields to other work only once the budget since the last yield is spent', async () => {
  let now = 0;
  const yieldTurn = createTurnBudget(40, () => now);
  let other = 0;
  setImmediate(() => other++);
  now = 39;
  assert.equal(yieldTurn(), undefined, 'within the budget: nothing to await');
  assert.equal(other, 0, 'within the budget: no turn given up');
  now = 40;
  await yieldTurn();
  assert.equal(other, 1, 'budget spent: the pending turn ran');
  setImmediate(() => other++);
  now = 60;
  assert.equal(yieldTurn(), undefined, 'the budget counts from the last yield');
  assert.equal(other, 1);
});

test('an always-awaitable budget hands a resolved promise while the budget lasts', async () => {
  let now = 0;
  const yieldTurn = alwaysAwaitable(createTurnBudget(40, () => now));
  let other = 0;
  setImmediate(() => other++);
  await yieldTurn();
  assert.equal(other, 0);
  now = 50;
  await yieldTurn();
  assert.equal(other, 1);
});
