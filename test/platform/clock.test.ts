import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MAX_TIMER_MS, systemClock, timerStep } from '../../src/platform/clock.ts';

describe('timerStep', () => {
  it('arms a short delay at once', () => {
    assert.deepEqual(timerStep(250), { now: 250, rest: 0 });
    assert.deepEqual(timerStep(-5), { now: 0, rest: 0 });
  });
  it('splits a delay beyond the timer limit', () => {
    assert.deepEqual(timerStep(MAX_TIMER_MS + 5), { now: MAX_TIMER_MS, rest: 5 });
  });
  it('never arms an endless delay', () => {
    assert.equal(timerStep(Infinity), undefined);
    assert.equal(timerStep(Number.NaN), undefined);
  });
});

// setTimeout replaced by a recorder, so the chain can be stepped by hand without waiting.
describe('systemClock.after', () => {
  const real = globalThis.setTimeout;
  let armed: { fn: () => void; ms: number; cleared: boolean }[] = [];
  beforeEach(() => {
    armed = [];
    const fake = (fn: () => void, ms: number): unknown => {
      const entry = { fn, ms, cleared: false };
      armed.push(entry);
      return { unref: () => undefined, entry };
    };
    globalThis.setTimeout = fake as unknown as typeof setTimeout;
  });
  afterEach(() => {
    globalThis.setTimeout = real;
  });

  it('never hands setTimeout more than 2^31-1 ms and fires once the whole delay has passed', () => {
    let fired = 0;
    const grace597h = 597 * 3_600_000;
    systemClock.after(grace597h, () => fired++);
    let elapsed = 0;
    while (armed.length > 0) {
      const next = armed.shift();
      assert.ok(next && next.ms <= MAX_TIMER_MS, `setTimeout armed with ${next?.ms} ms`);
      assert.equal(fired, 0, `fired after ${elapsed} ms`);
      elapsed += next.ms;
      next.fn();
    }
    assert.equal(fired, 1);
    assert.equal(elapsed, grace597h);
  });
});
