import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ExitInfo } from '../../src/model/instance.ts';
import type { FailureRecord } from '../../src/model/failure.ts';
import { appendFailure, classifyExit, markRecovered, recoveryStats } from '../../src/planner/failures.ts';

const exit = (patch: Partial<ExitInfo>): ExitInfo => ({ code: 0, signal: null, at: 1, reason: 'Exited', requested: false, ...patch });

test('classifyExit: what counts as a failure, and of which type', () => {
  const cases: [ExitInfo, string | undefined, string | undefined][] = [
    [exit({ code: 0 }), undefined, undefined],
    [exit({ code: 1 }), undefined, 'Crash'],
    [exit({ code: null, signal: 'SIGKILL' }), undefined, 'Crash'],
    [exit({ code: null, reason: 'Lost' }), undefined, 'Crash'],
    [exit({ code: null, reason: 'SpawnError' }), undefined, 'Crash'],
    [exit({ code: null, signal: 'SIGTERM', requested: true }), 'SpecChanged', undefined],
    [exit({ code: null, signal: 'SIGTERM', requested: true }), 'ScaleDown', undefined],
    [exit({ code: null, signal: 'SIGTERM', requested: true }), 'LivenessFailure', 'LivenessFailure'],
    [exit({ code: null, signal: 'SIGKILL', requested: true }), 'StartupTimeout', 'StartupTimeout'],
  ];
  for (const [end, stopReason, expected] of cases) assert.equal(classifyExit(end, stopReason), expected, JSON.stringify([end, stopReason]));
});

const failure = (at: number, instance = 'web-0'): FailureRecord => ({ at, instance, type: 'Crash', exitCode: 1, signal: null });

test('the history keeps the newest failures up to its bound', () => {
  let history: FailureRecord[] = [];
  for (let i = 0; i < 105; i++) history = appendFailure(history, failure(i));
  assert.equal(history.length, 100);
  assert.equal(history[0]?.at, 5);
  assert.equal(history.at(-1)?.at, 104);
});

test('markRecovered marks the newest unrecovered failure of the instance only', () => {
  const history = [failure(1), failure(2, 'web-1'), failure(3)];
  const once = markRecovered(history, 'web-0', 10);
  assert.deepEqual(once.map((f) => f.recoveredAt), [undefined, undefined, 10]);
  assert.equal(markRecovered(once, 'web-0', 20), once, 'already recovered: unchanged');
  assert.equal(markRecovered(history, 'web-9', 20), history);
});

test('recoveryStats: counts, rate and mean time to recover', () => {
  assert.deepEqual(recoveryStats([]), { failures: 0, recoveries: 0, recoveryRate: null, meanTimeToRecoverMs: null });
  const history = [{ ...failure(0), recoveredAt: 100 }, { ...failure(1000), recoveredAt: 1300 }, failure(2000)];
  assert.deepEqual(recoveryStats(history), { failures: 3, recoveries: 2, recoveryRate: 2 / 3, meanTimeToRecoverMs: 200 });
});

test('property: the history never exceeds its bound', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(), { maxLength: 300 }), fc.integer({ min: 1, max: 50 }), (times, limit) => {
      let history: FailureRecord[] = [];
      for (const t of times) history = appendFailure(history, failure(t), limit);
      assert.ok(history.length <= limit);
      assert.deepEqual(history.map((f) => f.at), times.slice(-limit));
    }),
  );
});
