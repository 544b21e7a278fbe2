/** The time-sliced yield: no turn is given up before the budget is spent, one is after. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alwaysAwaitable, createTurnBudget, createTurnPriority } from '../../src/platform/turn-budget.ts';

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

// A priority whose timers are held in `timers` for the test to fire.
function withTimers(): { timers: (() => void)[]; priority: ReturnType<typeof createTurnPriority> } {
  const timers: (() => void)[] = [];
  const priority = createTurnPriority(250, (_ms, fn) => {
    timers.push(fn);
    return () => timers.splice(timers.indexOf(fn), 1);
  });
  return { timers, priority };
}

test('background work gives way while foreground work runs, and goes on once it ends', async () => {
  const { timers, priority } = withTimers();
  const background = priority.background(() => undefined);
  assert.equal(background(), undefined, 'no foreground work: the background turn as it is');
  let finish: () => void = () => undefined;
  const answer = priority.foreground(() => new Promise<string>((resolve) => (finish = () => resolve('answered'))));
  let resumed = false;
  const parked = background();
  assert.ok(parked, 'foreground work runs: background work waits');
  void parked.then(() => (resumed = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(resumed, false, 'still waiting while the answer is made');
  finish();
  assert.equal(await answer, 'answered');
  await parked;
  assert.equal(resumed, true, 'the answer made: background work goes on');
  assert.equal(timers.length, 0, 'and its timer is cancelled');
});

test('background work waits for foreground work at most maxWaitMs at a time', async () => {
  const { timers, priority } = withTimers();
  const background = priority.background(() => undefined);
  let finish: () => void = () => undefined;
  const answer = priority.foreground(() => new Promise<void>((resolve) => (finish = resolve)));
  const parked = background();
  assert.equal(timers.length, 1);
  timers[0]?.();
  await parked;
  finish();
  await answer;
  assert.equal(background(), undefined, 'the answer made: no wait');
});

test('whenFree runs at once when nothing is in the foreground, else once it ends, unless cancelled', async () => {
  const { timers, priority } = withTimers();
  const ran: string[] = [];
  priority.whenFree(() => ran.push('free'));
  assert.deepEqual(ran, ['free']);
  let finish: () => void = () => undefined;
  const answer = priority.foreground(() => new Promise<void>((resolve) => (finish = resolve)));
  priority.whenFree(() => ran.push('after'));
  const cancel = priority.whenFree(() => ran.push('cancelled'));
  cancel();
  assert.deepEqual(ran, ['free'], 'waits while the answer is made');
  assert.equal(timers.length, 1, "the cancelled one's timer is gone");
  finish();
  await answer;
  assert.deepEqual(ran, ['free', 'after']);
  assert.equal(timers.length, 0);
});

test('works that give up their turn together share the next one', async () => {
  let now = 0;
  const yieldTurn = createTurnBudget(40, () => now);
  now = 40;
  const seen: string[] = [];
  const work = async (name: string): Promise<void> => {
    await yieldTurn();
    const resumedAt = now;
    // Two share the turn: 20 ms each.
    now = resumedAt + 19;
    seen.push(`${name} goes on at 19: ${yieldTurn() === undefined}`);
    now = resumedAt + 20;
    const turn = yieldTurn();
    seen.push(`${name} gives way at 20: ${turn !== undefined}`);
    await turn;
  };
  await Promise.all([work('a'), work('b')]);
  assert.deepEqual(seen, ['a goes on at 19: true', 'a gives way at 20: true', 'b goes on at 19: true', 'b gives way at 20: true']);
  now += 100;
  await yieldTurn();
  now += 39;
  assert.equal(yieldTurn(), undefined, 'alone in its turn: the whole budget');
});
