/**
 * Backoff tables per strategy, cap and jitter, plus properties.
 *
 * Properties (fast-check; the seed is logged, set FC_SEED to replay):
 * - with jitter 0 the delay is monotone non-decreasing in the attempt;
 * - the delay is always within [0, maxDelay], with or without jitter;
 * - with jitter j the delay stays within ±j of the un-jittered one (before the cap);
 * - the same policy, attempt and seed always give the same delay.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BackoffPolicy } from '../../src/model/object.ts';
import { backoffDelay } from '../../src/planner/backoff.ts';

const POLICY: BackoffPolicy = { strategy: 'exponential', initialDelayMs: 1000, maxDelayMs: 300_000, multiplier: 2, jitter: 0, resetAfterMs: 600_000 };

void describe('backoffDelay tables', () => {
  const table: readonly { name: string; policy: Partial<BackoffPolicy>; delays: readonly number[] }[] = [
    { name: 'fixed', policy: { strategy: 'fixed' }, delays: [1000, 1000, 1000, 1000] },
    { name: 'linear', policy: { strategy: 'linear' }, delays: [1000, 2000, 3000, 4000] },
    { name: 'exponential ×2', policy: {}, delays: [1000, 2000, 4000, 8000] },
    { name: 'exponential ×3', policy: { multiplier: 3 }, delays: [1000, 3000, 9000, 27000] },
    { name: 'exponential capped', policy: { maxDelayMs: 5000 }, delays: [1000, 2000, 4000, 5000, 5000] },
    { name: 'linear capped', policy: { strategy: 'linear', maxDelayMs: 2500 }, delays: [1000, 2000, 2500, 2500] },
    { name: 'max below initial', policy: { strategy: 'fixed', maxDelayMs: 500 }, delays: [500, 500] },
    { name: 'zero initial delay', policy: { initialDelayMs: 0 }, delays: [0, 0, 0] },
    { name: 'multiplier below 1 counts as 1', policy: { multiplier: 0.5 }, delays: [1000, 1000, 1000] },
  ];
  for (const row of table) {
    void it(row.name, () => {
      const policy = { ...POLICY, ...row.policy };
      assert.deepEqual(row.delays.map((_, attempt) => backoffDelay(policy, attempt, 'web-0')), row.delays);
    });
  }

  void it('a huge attempt stays at the cap', () => {
    assert.equal(backoffDelay(POLICY, 10_000, 'web-0'), 300_000);
  });

  void it('jitter moves the delay within ±fraction, deterministically', () => {
    const policy = { ...POLICY, strategy: 'fixed', jitter: 0.1 } as const;
    const delays = Array.from({ length: 50 }, (_, i) => backoffDelay(policy, 0, `web-${i}`));
    assert.ok(delays.every((d) => d >= 900 && d <= 1100), String(delays));
    assert.ok(new Set(delays).size > 10, 'different instances get different delays');
    assert.deepEqual(delays, Array.from({ length: 50 }, (_, i) => backoffDelay(policy, 0, `web-${i}`)));
  });

  void it('jitter never exceeds the cap', () => {
    const policy = { ...POLICY, jitter: 0.5, maxDelayMs: 4000 };
    for (let i = 0; i < 100; i++) assert.ok(backoffDelay(policy, 5, `w-${i}`) <= 4000);
  });
});

const policyArb = fc.record({
  strategy: fc.constantFrom('fixed', 'linear', 'exponential'),
  initialDelayMs: fc.integer({ min: 0, max: 60_000 }),
  maxDelayMs: fc.integer({ min: 0, max: 600_000 }),
  multiplier: fc.double({ min: 1, max: 10, noNaN: true }),
  jitter: fc.constant(0),
  resetAfterMs: fc.constant(600_000),
}) satisfies fc.Arbitrary<BackoffPolicy>;

void describe('backoffDelay properties', () => {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

  void it('monotone in the attempt without jitter, and capped', (t) => {
    t.diagnostic(`fast-check seed ${seed}`);
    fc.assert(
      fc.property(policyArb, fc.nat(200), fc.string(), (policy, attempt, id) => {
        const now = backoffDelay(policy, attempt, id);
        const next = backoffDelay(policy, attempt + 1, id);
        return now <= next && next <= policy.maxDelayMs && now >= 0;
      }),
      { seed },
    );
  });

  void it('jitter stays in [0, maxDelay] and within ±jitter, deterministically', (t) => {
    t.diagnostic(`fast-check seed ${seed}`);
    const jittered = fc.tuple(policyArb, fc.double({ min: 0, max: 1, noNaN: true }));
    fc.assert(
      fc.property(jittered, fc.nat(60), fc.string(), ([policy, jitter], attempt, id) => {
        const plain = backoffDelay(policy, attempt, id);
        const delay = backoffDelay({ ...policy, jitter }, attempt, id);
        const within = Math.abs(delay - plain) <= plain * jitter + 1;
        return within && delay >= 0 && delay <= policy.maxDelayMs && delay === backoffDelay({ ...policy, jitter }, attempt, id);
      }),
      { seed },
    );
  });
});
