/**
 * Revisions and restarts: an instance of an earlier revision that ends on its own while a
 * rolling update is held (no room in its budget) is judged by its own revision's restart policy,
 * maxRestarts and backoff, and restarts as that revision; when that policy does not restart it,
 * or with room in the rollout, the new revision takes its slot at once. The kept revision
 * outlives the exit. Asserts reasons, specs and times, never message text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StartAction } from '../../src/model/action.ts';
import type { History } from '../../src/model/history.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { ProcessSpec } from '../../src/model/object.ts';
import { planKey } from '../../src/planner/plan-key.ts';
import { planWorld } from '../../src/planner/plan-world.ts';
import { instancePhase } from '../../src/planner/phase.ts';
import { exited, HASH, KEY, NOW, OLD_HASH, processObject, running, SPEC } from './fixtures.ts';
import { jobObject, jobRunning } from './job-fixtures.ts';

const MACHINE = { cpu: 8, memory: 2 ** 34 };
const NEVER_READY: ProcessSpec['probes'] = { readiness: { check: { type: 'exec', command: ['false'] }, initialDelayMs: 0, periodMs: 1000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 1 } };
const OLD_BACKOFF: ProcessSpec['backoff'] = { ...SPEC.backoff, initialDelayMs: 2000, jitter: 0 };
/** web-1 of the old revision crashed 500 ms ago after a 1 s run. */
const CRASHED = exited(1, { code: 1, at: NOW - 500 }, { specHash: OLD_HASH, startedAt: NOW - 1500 });

interface Case {
  /** The revision the old instance ran. */
  readonly old: Partial<ProcessSpec>;
  /** The manifest now. */
  readonly current: Partial<ProcessSpec>;
  /** web-0: the new revision, not available yet (held), or available (room in the budget). */
  readonly held: boolean;
  readonly now?: number;
  readonly strategy?: ProcessSpec['updateStrategy'];
}

function planOf(c: Case) {
  const object = processObject('web', { replicas: 2, probes: c.held ? NEVER_READY : {}, ...c.current, ...(c.strategy ? { updateStrategy: c.strategy } : {}) });
  const oldSpec: ProcessSpec = { ...SPEC, replicas: 2, ...c.old };
  const history: History = new Map([[KEY, { generation: 2, contentHash: 'c', slots: { 1: { restarts: 0, backoffAttempt: 0 } }, revisions: { [OLD_HASH]: oldSpec } }]]);
  const instances: ObservedInstance[] = [running(0, { specHash: HASH, startedAt: NOW - 100 }), CRASHED];
  const world = planWorld({ objects: new Map([[KEY, object]]), observed: new Map([[KEY, instances]]), history, now: c.now ?? NOW, machine: MACHINE });
  const plan = planKey(world, KEY);
  return { plan, object, oldSpec, history, instances, web1: plan.actions.filter((a) => a.instance === 'web-1') };
}

describe('an old instance that ends while the rollout is held', () => {
  it('waits out its own revision\'s backoff, then restarts as that revision', () => {
    const waiting = planOf({ old: { restartPolicy: 'Always', backoff: OLD_BACKOFF }, current: { restartPolicy: 'Always' }, held: true });
    assert.deepEqual(waiting.web1.map((a) => [a.type, a.reason, a.type === 'wait' ? a.until : 0]), [['wait', 'CrashLoopBackOff', NOW - 500 + 2000]]);
    const due = planOf({ old: { restartPolicy: 'Always', backoff: OLD_BACKOFF }, current: { restartPolicy: 'Always' }, held: true, now: NOW + 1500 });
    assert.deepEqual(due.web1.map((a) => [a.type, a.reason]), [['start', 'RestartPolicy']]);
    const start = due.web1[0] as StartAction;
    assert.equal(start.specHash, OLD_HASH);
    assert.equal(start.spec, due.oldSpec, 'the program of its own revision');
    assert.equal(start.generation, CRASHED.generation);
    assert.deepEqual([start.countsAsRestart, start.backoffAttempt], [true, 1]);
  });

  it('is restarted by its own revision\'s Always even when the manifest now says Never', () => {
    const due = planOf({ old: { restartPolicy: 'Always', backoff: OLD_BACKOFF }, current: { restartPolicy: 'Never' }, held: true, now: NOW + 1500 });
    assert.deepEqual(due.web1.map((a) => [a.type, a.reason, a.type === 'start' ? a.specHash : '']), [['start', 'RestartPolicy', OLD_HASH]]);
  });

  it('gives its slot to the new revision when its own revision\'s Never does not restart it, even if the manifest now says Always', () => {
    const { web1, object } = planOf({ old: { restartPolicy: 'Never' }, current: { restartPolicy: 'Always' }, held: true });
    assert.deepEqual(web1.map((a) => [a.type, a.reason, a.type === 'start' ? a.specHash : '']), [['start', 'SpecChanged', HASH]]);
    assert.equal((web1[0] as StartAction).spec, object.spec);
    assert.equal((web1[0] as StartAction).countsAsRestart, false);
  });

  it('gives its slot to the new revision once its own revision\'s maxRestarts is used up', () => {
    const c: Case = { old: { restartPolicy: 'Always', maxRestarts: 1, backoff: OLD_BACKOFF }, current: { maxRestarts: 0 }, held: true };
    const { object, oldSpec } = planOf(c);
    const history: History = new Map([[KEY, { generation: 2, contentHash: 'c', slots: { 1: { restarts: 1, backoffAttempt: 1 } }, revisions: { [OLD_HASH]: oldSpec } }]]);
    const world = planWorld({ objects: new Map([[KEY, object]]), observed: new Map([[KEY, [running(0), CRASHED]]]), history, now: NOW, machine: MACHINE });
    const web1 = planKey(world, KEY).actions.filter((a) => a.instance === 'web-1');
    assert.deepEqual(web1.map((a) => [a.type, a.reason, a.type === 'start' ? a.specHash : '']), [['start', 'SpecChanged', HASH]]);
  });

  it('shows BackOff while it waits for its own revision\'s backoff', () => {
    const { object, history, plan } = planOf({ old: { restartPolicy: 'Always', backoff: OLD_BACKOFF }, current: { restartPolicy: 'Never' }, held: true });
    assert.deepEqual(instancePhase(CRASHED, object, history.get(KEY), plan.actions), { phase: 'BackOff', reason: 'CrashLoopBackOff' });
  });

  it('keeps the revision while its exited instance may still restart as it', () => {
    const { plan } = planOf({ old: { restartPolicy: 'Always', backoff: OLD_BACKOFF }, current: {}, held: true });
    assert.equal(plan.historyEdits.some((e) => e.type === 'forgetRevisions'), false);
  });
});

describe('an old instance that ends while the rollout has room', () => {
  it('gives its slot to the new revision at once, whatever its own policy', () => {
    for (const restartPolicy of ['Always', 'Never'] as const) {
      const { web1, object } = planOf({ old: { restartPolicy, backoff: OLD_BACKOFF }, current: {}, held: false });
      assert.deepEqual(web1.map((a) => [a.type, a.reason, a.type === 'start' ? a.specHash : '']), [['start', 'SpecChanged', HASH]], restartPolicy);
      assert.equal((web1[0] as StartAction).spec, object.spec);
    }
  });

  it('under Recreate, which holds nothing old, the new revision starts', () => {
    const { web1 } = planOf({ old: { restartPolicy: 'Always', backoff: OLD_BACKOFF }, current: {}, held: true, strategy: { type: 'Recreate', maxUnavailable: 1, maxSurge: 0 } });
    assert.deepEqual(web1.map((a) => [a.type, a.reason]), [['start', 'SpecChanged']]);
  });

  it('with maxSurge, a free surge takes the slot for the new revision', () => {
    const { web1 } = planOf({ old: { restartPolicy: 'Always', backoff: OLD_BACKOFF }, current: {}, held: true, strategy: { type: 'RollingUpdate', maxUnavailable: 0, maxSurge: 2 } });
    assert.deepEqual(web1.map((a) => [a.type, a.reason]), [['start', 'SpecChanged']]);
  });
});

describe('an instance of an earlier revision is stopped as that revision says', () => {
  const OLD_STOP = { signal: 'SIGQUIT', gracePeriodMs: 3_000 } as const;
  const oldSpec: ProcessSpec = { ...SPEC, stop: OLD_STOP };
  const revisions = { [OLD_HASH]: oldSpec };
  const stopsOf = (plan: ReturnType<typeof planKey>) => plan.actions.flatMap((a) => (a.type === 'stop' ? [[a.instance, a.reason, a.stop.signal, a.stop.gracePeriodMs, a.program === oldSpec]] : []));

  it('on a scale-down and on tend stop, with its own signal, grace period and hooks', () => {
    const object = processObject('web', { replicas: 1, stop: { signal: 'SIGINT', gracePeriodMs: 1_000 } });
    const scaled: History = new Map([[KEY, { generation: 2, contentHash: 'c', slots: {}, revisions }]]);
    const instances = [running(0, { specHash: HASH }), running(1, { specHash: OLD_HASH })];
    const world = planWorld({ objects: new Map([[KEY, object]]), observed: new Map([[KEY, instances]]), history: scaled, now: NOW, machine: MACHINE });
    assert.deepEqual(stopsOf(planKey(world, KEY)), [['web-1', 'ScaleDown', 'SIGQUIT', 3_000, true]]);
    const stopped: History = new Map([[KEY, { generation: 2, contentHash: 'c', slots: {}, revisions, override: { type: 'stopped', at: NOW - 1, generation: 2 } }]]);
    const held = planWorld({ objects: new Map([[KEY, object]]), observed: new Map([[KEY, [running(0, { specHash: OLD_HASH })]]]), history: stopped, now: NOW, machine: MACHINE });
    assert.deepEqual(stopsOf(planKey(held, KEY)), [['web-0', 'UserStopped', 'SIGQUIT', 3_000, true]]);
  });

  it('a Job\'s outdated instance too', () => {
    const job = jobObject('report', { stop: { signal: 'SIGINT', gracePeriodMs: 1_000 } });
    const history: History = new Map([[job.key, { generation: 2, contentHash: 'c', slots: {}, revisions }]]);
    const world = planWorld({ objects: new Map([[job.key, job]]), observed: new Map([[job.key, [jobRunning(0, { specHash: OLD_HASH })]]]), history, now: NOW, machine: MACHINE });
    assert.deepEqual(stopsOf(planKey(world, job.key)), [['report-0', 'SpecChanged', 'SIGQUIT', 3_000, true]]);
  });
});
