/**
 * The circuit breaker's transitions, one test each, with time as a number; and a fast-check
 * property over random event sequences. Invariants of the property (seed printed on failure):
 *  1. no start is allowed while the circuit is Open and its cooldown has not passed;
 *  2. when HalfOpen, exactly one trial start is allowed until the trial ends;
 *  3. a Closed circuit never counts maxFailures failures inside the window.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CLOSED,
  circuitState,
  halfOpenAt,
  mayStart,
  recordFailure,
  recordTrial,
  recordTrialSuccess,
  resetCircuit,
} from '../../src/planner/circuit-breaker.ts';
import type { CircuitRecord } from '../../src/model/failure.ts';

const POLICY = { maxFailures: 3, windowMs: 60_000, cooldownMs: 300_000 };

const failAt = (record: CircuitRecord, ...times: number[]): CircuitRecord => times.reduce((r, t) => recordFailure(r, POLICY, t), record);

test('Closed: failures below maxFailures inside the window keep it closed', () => {
  const record = failAt(CLOSED, 0, 10_000);
  assert.equal(circuitState(record, POLICY, 10_000), 'Closed');
  assert.deepEqual(record.failures, [0, 10_000]);
  assert.equal(mayStart(record, POLICY, 10_000), true);
});

test('Closed: the maxFailures-th failure inside the window opens it', () => {
  const record = failAt(CLOSED, 0, 10_000, 20_000);
  assert.deepEqual(record, { state: 'Open', failures: [], openedAt: 20_000 });
  assert.equal(mayStart(record, POLICY, 20_001), false);
  assert.equal(halfOpenAt(record, POLICY), 320_000);
});

test('Closed: failures outside the window do not count', () => {
  const record = failAt(CLOSED, 0, 30_000, 61_000);
  assert.equal(record.state, 'Closed');
  assert.deepEqual(record.failures, [30_000, 61_000]);
});

test('Open: turns HalfOpen when the cooldown has passed, allowing one trial', () => {
  const open = failAt(CLOSED, 0, 1, 2);
  assert.equal(circuitState(open, POLICY, 300_001), 'Open');
  assert.equal(circuitState(open, POLICY, 300_002), 'HalfOpen');
  assert.equal(mayStart(open, POLICY, 300_002), true);
  const trial = recordTrial(open, POLICY, 300_002);
  assert.equal(trial.state, 'HalfOpen');
  assert.equal(mayStart(trial, POLICY, 300_003), false, 'only one trial');
});

test('Open: a failure while open changes nothing', () => {
  const open = failAt(CLOSED, 0, 1, 2);
  assert.equal(recordFailure(open, POLICY, 100), open);
});

test('HalfOpen: a failed trial opens it again from the time of the failure', () => {
  const trial = recordTrial(failAt(CLOSED, 0, 1, 2), POLICY, 300_002);
  const reopened = recordFailure(trial, POLICY, 310_000);
  assert.deepEqual(reopened, { state: 'Open', failures: [], openedAt: 310_000 });
  assert.equal(mayStart(reopened, POLICY, 609_999), false);
});

test('HalfOpen: a successful trial closes it', () => {
  const trial = recordTrial(failAt(CLOSED, 0, 1, 2), POLICY, 300_002);
  assert.equal(recordTrialSuccess(trial), CLOSED);
  assert.equal(recordTrialSuccess(CLOSED), CLOSED);
});

test('a trial recorded while not half-open changes nothing', () => {
  const open = failAt(CLOSED, 0, 1, 2);
  assert.equal(recordTrial(open, POLICY, 5), open);
  assert.equal(recordTrial(CLOSED, POLICY, 5), CLOSED);
});

test('the operator override closes any circuit', () => {
  assert.equal(resetCircuit(), CLOSED);
});

type Event = { kind: 'fail' } | { kind: 'start' } | { kind: 'ready' } | { kind: 'wait'; ms: number };

test('property: no start while open, one trial when half-open, a bounded window when closed', () => {
  const event: fc.Arbitrary<Event> = fc.oneof(
    fc.constant({ kind: 'fail' } as const),
    fc.constant({ kind: 'start' } as const),
    fc.constant({ kind: 'ready' } as const),
    fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 400_000 }) }),
  );
  fc.assert(
    fc.property(fc.array(event, { maxLength: 60 }), (events) => {
      let record = CLOSED;
      let now = 0;
      let trials = 0;
      for (const e of events) {
        if (e.kind === 'wait') now += e.ms;
        else if (e.kind === 'fail') record = recordFailure(record, POLICY, now);
        else if (e.kind === 'ready') record = recordTrialSuccess(record);
        else if (mayStart(record, POLICY, now)) {
          const state = circuitState(record, POLICY, now);
          assert.notEqual(state, 'Open');
          if (state === 'HalfOpen') {
            trials++;
            record = recordTrial(record, POLICY, now);
          }
        }
        const state = circuitState(record, POLICY, now);
        if (state === 'Open') assert.ok(now < (record.openedAt ?? 0) + POLICY.cooldownMs);
        if (state === 'HalfOpen' && record.trialAt !== undefined) assert.equal(mayStart(record, POLICY, now), false);
        if (state === 'Closed') {
          trials = 0;
          assert.ok(record.failures.filter((t) => t > now - POLICY.windowMs).length < POLICY.maxFailures);
        }
        assert.ok(trials <= 1, 'at most one trial per half-open period');
        if (record.state === 'Open') trials = 0;
      }
    }),
    { numRuns: 500 },
  );
});
