/**
 * Property test (fast-check) of recovery through the controller, with the dry-run executor and
 * a fake clock: random runs of crashes, clean exits, stable runs, clock steps and operator
 * commands on a 2-replica Process with a circuit breaker and recovery strategy fallback.
 *
 * Invariants (the seed is printed by fast-check on failure; rerun with it to reproduce):
 *  1. no restart is applied while the circuit is Open and its cooldown has not passed;
 *  2. a half-open circuit lets exactly one trial start through until it closes or opens again;
 *  3. every back-off the plan waits is at most maxDelay;
 *  4. the failure history stays within its bound;
 *  5. after settling: at most one fallback per slot, never beside a live primary of that slot,
 *     and none while the circuit is Closed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Action, ActionResult } from '../../src/model/action.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import { circuitState } from '../../src/planner/circuit-breaker.ts';
import { FAILURE_HISTORY_LIMIT } from '../../src/planner/failures.ts';
import { SPEC } from '../planner/fixtures.ts';
import { createSlotWorld, FALLBACK_PROGRAM, WEB, type SlotWorld } from '../helpers/slot-world.ts';

const BACKOFF = { ...SPEC.backoff, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 3, jitter: 0.1, resetAfterMs: 5_000 };
const BREAKER = { maxFailures: 3, windowMs: 10_000, cooldownMs: 4_000 };

type Step =
  | { readonly kind: 'crash' | 'clean'; readonly replica: number }
  | { readonly kind: 'wait'; readonly ms: number }
  | { readonly kind: 'operate'; readonly verb: 'stop' | 'start' | 'restart' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('crash' as const), replica: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clean' as const), replica: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 6_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('operate' as const), verb: fc.constantFrom('stop' as const, 'start' as const, 'restart' as const) }) },
);

// Checks invariants 1 and 2 on every action as it is applied; what breaks them is collected
// (a throw inside apply would only be retried by the controller).
function watchStarts(w: SlotWorld, violations: string[]): void {
  const apply = w.executor.apply.bind(w.executor);
  let trials = 0;
  w.executor.apply = (action: Action): Promise<ActionResult> => {
    const record = w.controller.history().get(WEB)?.circuit;
    const state = record ? circuitState(record, BREAKER, w.clock.now()) : 'Closed';
    if (state !== 'HalfOpen') trials = 0;
    if (action.type === 'start' && action.fallback !== true && action.countsAsRestart) {
      if (state === 'Open') violations.push(`restart of ${action.instance} while the circuit is open`);
      if (state === 'HalfOpen' && (action.circuitTrial !== true || record?.trialAt !== undefined || ++trials > 1)) {
        violations.push(`a second start of ${action.instance} in one half-open period`);
      }
    }
    return apply(action);
  };
}

async function checkSettled(w: SlotWorld): Promise<void> {
  for (const action of await w.controller.plan()) {
    if (action.type !== 'wait' || action.reason !== 'CrashLoopBackOff') continue;
    const exitAt = (await w.instances()).find((i) => i.id === action.instance)?.exit?.at ?? 0;
    assert.ok(action.until - exitAt <= BACKOFF.maxDelayMs, `back-off ${action.until - exitAt} ms over maxDelay`);
  }
  assert.ok((w.controller.history().get(WEB)?.failures ?? []).length <= FAILURE_HISTORY_LIMIT);
  const instances = await w.instances();
  const live = (i: ObservedInstance): boolean => i.state !== 'exited';
  const closed = w.circuit() === 'Closed';
  for (const replica of [0, 1]) {
    const fallbacks = instances.filter((i) => i.fallback && i.replica === replica && live(i));
    assert.ok(fallbacks.length <= 1, `two fallbacks in slot ${replica}`);
    if (fallbacks.length === 0) continue;
    assert.ok(!instances.some((i) => !i.fallback && i.replica === replica && live(i)), `a fallback beside the primary of slot ${replica}`);
    assert.ok(!closed, 'a fallback while the circuit is closed');
  }
}

async function run(steps: readonly Step[]): Promise<void> {
  const w = await createSlotWorld({ replicas: 2, backoff: BACKOFF, circuitBreaker: BREAKER, recovery: { strategy: 'fallback', fallback: FALLBACK_PROGRAM } });
  const violations: string[] = [];
  watchStarts(w, violations);
  for (const s of steps) {
    if (s.kind === 'wait') await w.advance(s.ms);
    else if (s.kind === 'operate') await w.operate(s.verb);
    else {
      const victim = (await w.instances()).find((i) => !i.fallback && i.replica === s.replica && i.state === 'running');
      if (victim) w.executor.exit(WEB, victim.id, { code: s.kind === 'crash' ? 1 : 0, signal: null });
      await w.settle();
    }
    await checkSettled(w);
    assert.deepEqual(violations, []);
  }
  w.controller.close();
}

test('property: no restart while open, one trial per half-open, bounded back-off and history, one fallback per slot', async () => {
  await fc.assert(fc.asyncProperty(fc.array(step, { maxLength: 60 }), run), { numRuns: 200 });
});
