/**
 * The scheduling pass over a world of Jobs and Processes: which instances count, the verdicts
 * the planners read (admit, wait with the reason, preempting, preempt, resume) and the
 * statistics.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { History } from '../../src/model/history.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { ManifestObject } from '../../src/model/object.ts';
import { scheduleWorld } from '../../src/planner/scheduling.ts';
import type { SchedulingPolicy } from '../../src/scheduler/types.ts';
import { processObject, running } from './fixtures.ts';
import { NOW, jobExited, jobObject, jobRunning } from './job-fixtures.ts';

const POLICY: SchedulingPolicy = { capacity: { cpu: 1, memory: 1024 }, preemption: true, timeSliceMs: 0 };
const low = jobObject('low', { priority: 10, requests: { cpu: 1, memory: 100 } });
const crit = jobObject('crit', { priority: 40, preemptible: false, requests: { cpu: 1, memory: 100 } });

function pass(objects: ManifestObject[], instances: ObservedInstance[], policy: SchedulingPolicy = POLICY, history: History = new Map()) {
  const observed = new Map<string, ObservedInstance[]>();
  for (const i of instances) observed.set(i.object, [...(observed.get(i.object) ?? []), i]);
  return scheduleWorld({ objects: new Map(objects.map((o) => [o.key, o])), observed, history, policy, now: NOW });
}

void describe('scheduling pass', () => {
  void it('a critical Job on a full Node preempts the low one, and starts once it gave way', () => {
    const first = pass([low, crit], [jobRunning(0, {}, 'low')]);
    assert.deepEqual(first.admission('job/crit', 'crit-0'), { kind: 'preempting', victims: ['low-0'] });
    assert.deepEqual(first.admission('job/low', 'low-0'), { kind: 'preempt', mode: 'suspend', reason: 'Preempted', by: 'job/crit/crit-0' });
    const suspended = jobRunning(0, { suspendedAt: NOW - 5 }, 'low');
    const second = pass([low, crit], [suspended]);
    // The suspended one waits (for its cpu) behind the critical one.
    assert.deepEqual([second.admission('job/crit', 'crit-0').kind, second.admission('job/low', 'low-0').kind], ['admit', 'wait']);
    assert.deepEqual([second.stats.suspended, second.stats.running, second.stats.queued], [1, 0, 0]);
    // The suspended Job keeps its memory: it still counts against the Node.
    assert.equal(second.stats.used.memory, 100);
    const after = pass([low, crit], [suspended, jobExited(0, {}, {}, 'crit')]);
    assert.deepEqual(after.admission('job/low', 'low-0'), { kind: 'resume' });
  });

  void it('a Process with requests holds its share; a Job that does not fit waits with the reason', () => {
    const web = processObject('web', { replicas: 1, raw: { resources: { requests: { cpu: '600m' } } } });
    const view = pass([web, jobObject('report', { requests: { cpu: 0.5 } })], [running(0)]);
    assert.deepEqual(view.admission('job/report', 'report-0'), { kind: 'wait', reason: 'Insufficient cpu', position: 0 });
    assert.equal(view.stats.utilization.cpu, 0.6);
  });

  void it('a Process without requests is not scheduled; its empty slots wait for no one', () => {
    const view = pass([processObject('web', { replicas: 2 })], []);
    assert.deepEqual([view.decision.admit, view.decision.waiting], [[], []]);
  });

  void it('maxConcurrentJobs holds Jobs beyond the limit', () => {
    const view = pass([jobObject('a'), jobObject('b')], [jobRunning(0, {}, 'a')], { ...POLICY, maxConcurrentJobs: 1 });
    assert.deepEqual(view.admission('job/b', 'b-0'), { kind: 'wait', reason: 'MaxConcurrentJobs', position: 0 });
  });

  void it('a finished Job holds nothing and asks for nothing', () => {
    const history: History = new Map([['job/low', { generation: 1, contentHash: 'c', slots: {}, job: { specHash: low.specHash, arrivedAt: 0, retries: 0, requeues: 0, finished: { phase: 'Succeeded' as const, at: NOW - 1, reason: 'Completed' } } }]]);
    const view = pass([low, crit], [jobExited(0, {}, {}, 'low')], POLICY, history);
    assert.deepEqual(view.decision.admit, ['job/crit/crit-0']);
  });
});
