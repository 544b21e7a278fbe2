/**
 * The Job planner, table by table: completions and parallelism, retries with backoff up to
 * backoffLimit, activeDeadline (suspended time excluded), ttlAfterFinished, a changed spec, and
 * the scheduler's verdicts (wait, suspend, resume, requeue). Time is a number; reasons are
 * compared, never messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Action } from '../../src/model/action.ts';
import type { ObjectHistory } from '../../src/model/history.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { JobObject, JobRecord } from '../../src/model/job.ts';
import type { Admission, Verdict } from '../../src/planner/admission.ts';
import { planJob } from '../../src/planner/job.ts';
import { HASH, NOW, jobExited, jobObject, jobRunning } from './job-fixtures.ts';

const RECORD: JobRecord = { specHash: HASH, arrivedAt: NOW - 60_000, retries: 0, requeues: 0 };

function history(record: Partial<JobRecord> = {}, slots: ObjectHistory['slots'] = {}): ObjectHistory {
  return { generation: 1, contentHash: 'c', slots, job: { ...RECORD, ...record } };
}

function run(object: JobObject, instances: ObservedInstance[], h: ObjectHistory | undefined = history(), admission?: Admission, now = NOW) {
  return planJob({ key: object.key, object, instances, history: h, now, generation: 1 }, admission);
}

const brief = (actions: readonly Action[]) => actions.map((a) => [a.type, a.instance, a.reason]);
const verdicts = (map: Record<string, Verdict>): Admission => (_object, instance) => map[instance] ?? { kind: 'none' };

void describe('job planner: completions and parallelism', () => {
  void it('starts no more than parallelism instances, lowest index first', () => {
    const plan = run(jobObject('report', { completions: 3, parallelism: 2 }), [], undefined);
    assert.deepEqual(brief(plan.actions), [['start', 'report-0', 'Create'], ['start', 'report-1', 'Create']]);
    assert.equal(plan.state.phase, 'Pending');
  });

  void it('starts the next index as one succeeds, and counts succeeded ones', () => {
    const plan = run(jobObject('report', { completions: 3, parallelism: 2 }), [jobExited(0), jobRunning(1)]);
    assert.deepEqual(brief(plan.actions), [['start', 'report-2', 'Create']]);
    assert.deepEqual([plan.state.phase, plan.state.succeeded], ['Running', 1]);
  });

  void it('is Succeeded once every completion succeeded, at the last exit, and starts nothing', () => {
    const plan = run(jobObject('report', { completions: 2 }), [jobExited(0, { at: NOW - 5000 }), jobExited(1, { at: NOW - 2000 })]);
    assert.deepEqual(brief(plan.actions), []);
    assert.deepEqual(plan.state.record.finished, { phase: 'Succeeded', at: NOW - 2000, reason: 'Completed' });
  });
});

void describe('job planner: retries and backoffLimit', () => {
  const failed = jobExited(0, { code: 1, at: NOW - 500 });

  void it('waits out the backoff after a failure, then retries counting against backoffLimit', () => {
    const waiting = run(jobObject(), [failed], history({ retries: 1 }, { 0: { restarts: 1, backoffAttempt: 1 } }));
    assert.deepEqual(brief(waiting.actions), [['wait', 'report-0', 'CrashLoopBackOff']]);
    assert.equal(waiting.actions[0]?.type === 'wait' && waiting.actions[0].until, NOW - 500 + 2000);
    assert.deepEqual([waiting.state.phase, waiting.state.reason], ['Pending', 'CrashLoopBackOff']);
    const due = run(jobObject(), [failed], history({ retries: 1 }, { 0: { restarts: 1, backoffAttempt: 1 } }), undefined, NOW + 1500);
    assert.deepEqual(brief(due.actions), [['start', 'report-0', 'JobRun']]);
    const start = due.actions[0];
    assert.ok(start?.type === 'start');
    assert.deepEqual([start.jobRetry, start.countsAsRestart, start.backoffAttempt], [true, true, 2]);
  });

  void it('is Failed (BackoffLimitExceeded) when a failure comes with the retries used up', () => {
    const plan = run(jobObject('report', { backoffLimit: 2 }), [failed], history({ retries: 2 }));
    assert.deepEqual(brief(plan.actions), []);
    assert.deepEqual(plan.state.record.finished, { phase: 'Failed', at: NOW - 500, reason: 'BackoffLimitExceeded' });
  });

  void it('backoffLimit 0 fails at the first failure and stops what else runs', () => {
    const plan = run(jobObject('report', { backoffLimit: 0, completions: 2, parallelism: 2 }), [failed, jobRunning(1)]);
    assert.deepEqual(brief(plan.actions), [['stop', 'report-1', 'JobFinished']]);
    assert.equal(plan.state.phase, 'Failed');
  });
});

void describe('job planner: activeDeadline', () => {
  const object = jobObject('report', { activeDeadlineMs: 3000 });

  void it('kills an instance that ran past the deadline (reason Timeout)', () => {
    const plan = run(object, [jobRunning(0, { startedAt: NOW - 3000 })]);
    assert.deepEqual(brief(plan.actions), [['stop', 'report-0', 'Timeout']]);
  });

  void it('does not count suspended time, and wakes when the deadline comes', () => {
    const resumed = run(object, [jobRunning(0, { startedAt: NOW - 5000, suspendedMs: 3000 })]);
    assert.deepEqual([brief(resumed.actions), resumed.state.wakeAt], [[], NOW + 1000]);
    const suspended = run(object, [jobRunning(0, { startedAt: NOW - 5000, suspendedAt: NOW - 4000 })]);
    assert.deepEqual([brief(suspended.actions), suspended.state.wakeAt, suspended.state.phase], [[], undefined, 'Suspended']);
  });

  void it('a Timeout kill fails the Job, whatever backoffLimit says', () => {
    const killed = jobExited(0, { code: null, signal: 'SIGTERM', requested: true, at: NOW - 100 }, { stopReason: 'Timeout' });
    const plan = run(object, [killed]);
    assert.deepEqual(plan.state.record.finished, { phase: 'Failed', at: NOW - 100, reason: 'Timeout' });
    assert.deepEqual(brief(plan.actions), []);
  });
});

void describe('job planner: ttlAfterFinished and spec changes', () => {
  const object = jobObject('report', { ttlAfterFinishedMs: 5000 });
  const finished = history({ finished: { phase: 'Succeeded', at: NOW - 10_000, reason: 'Completed' } });

  void it('forgets the finished run\'s instances once the ttl passed, and only then', () => {
    assert.deepEqual(brief(run(object, [jobExited(0)], finished).actions), [['stop', 'report-0', 'TtlExpired']]);
    const early = run(object, [jobExited(0)], finished, undefined, NOW - 6000);
    assert.deepEqual([brief(early.actions), early.state.wakeAt], [[], NOW - 5000]);
  });

  void it('a forgotten run stays finished: nothing starts again', () => {
    const plan = run(object, [], history({ finished: { phase: 'Succeeded', at: NOW - 10_000, reason: 'Completed' }, forgotten: true }));
    assert.deepEqual([brief(plan.actions), plan.state.phase], [[], 'Succeeded']);
  });

  void it('a changed spec is a new run: old instances go first, then it starts afresh', () => {
    const changed = jobObject('report', {}, 'h-new');
    const busy = run(changed, [jobRunning(0)], finished);
    assert.deepEqual(brief(busy.actions), [['stop', 'report-0', 'SpecChanged']]);
    assert.equal(busy.state.record.finished, undefined);
    const idle = run(changed, [], finished);
    assert.deepEqual(brief(idle.actions), [['start', 'report-0', 'Create']]);
  });
});

void describe('job planner: the scheduler\'s verdicts', () => {
  void it('a start that does not fit waits, saying why', () => {
    const plan = run(jobObject(), [], undefined, verdicts({ 'report-0': { kind: 'wait', reason: 'Insufficient cpu', position: 0 } }));
    assert.deepEqual(brief(plan.actions), [['wait', 'report-0', 'Unschedulable']]);
    assert.match(plan.actions[0]?.message ?? '', /Insufficient cpu/);
  });

  void it('waits while the instances it preempts give way', () => {
    const plan = run(jobObject(), [], undefined, verdicts({ 'report-0': { kind: 'preempting', victims: ['low-0'] } }));
    assert.deepEqual(brief(plan.actions), [['wait', 'report-0', 'Preempting']]);
  });

  void it('suspends, resumes and requeues as told', () => {
    const preempt = (mode: 'suspend' | 'requeue'): Verdict => ({ kind: 'preempt', mode, reason: 'Preempted', by: 'job/high/high-0' });
    assert.deepEqual(brief(run(jobObject(), [jobRunning(0)], history(), verdicts({ 'report-0': preempt('suspend') })).actions), [['suspend', 'report-0', 'Preempted']]);
    assert.deepEqual(brief(run(jobObject(), [jobRunning(0)], history(), verdicts({ 'report-0': preempt('requeue') })).actions), [['stop', 'report-0', 'Preempted']]);
    const suspended = jobRunning(0, { suspendedAt: NOW - 10 });
    assert.deepEqual(brief(run(jobObject(), [suspended], history(), verdicts({ 'report-0': { kind: 'resume' } })).actions), [['resume', 'report-0', 'Resumed']]);
    assert.deepEqual(brief(run(jobObject(), [suspended], history(), verdicts({})).actions), []);
  });

  void it('a requeued instance starts again as a restart, not a retry', () => {
    const requeued = jobExited(0, { code: null, signal: 'SIGTERM', requested: true }, { stopReason: 'Preempted' });
    const plan = run(jobObject(), [requeued], history());
    const start = plan.actions[0];
    assert.ok(start?.type === 'start');
    assert.deepEqual([start.reason, start.jobRequeue, start.jobRetry, start.countsAsRestart], ['JobRun', true, undefined, true]);
  });
});

void describe('job planner: tend stop and start', () => {
  void it('a stopped Job stops what runs and starts nothing; after start the stopped index runs again', () => {
    const stopped: ObjectHistory = { ...history(), override: { type: 'stopped', at: NOW - 1, generation: 1 } };
    const object = jobObject('report', { completions: 2, parallelism: 2 });
    const plan = run(object, [jobRunning(0)], stopped);
    assert.deepEqual([brief(plan.actions), plan.state.phase], [[['stop', 'report-0', 'UserStopped']], 'Stopped']);
    const exitedByStop = jobExited(0, { code: null, signal: 'SIGTERM', requested: true }, { stopReason: 'UserStopped' });
    assert.deepEqual(brief(run(object, [exitedByStop], stopped).actions), []);
    assert.deepEqual(brief(run(object, [exitedByStop], history()).actions), [['start', 'report-0', 'Create'], ['start', 'report-1', 'Create']]);
  });
});
