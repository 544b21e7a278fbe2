/**
 * The controller's memoised scheduling pass decides as the pass over the whole desired state
 * does, though it hands the scheduler only the objects that ask for something (Jobs, Processes
 * with requests).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createSchedulingMemo } from '../../src/controller/scheduling-memo.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { ManifestObject } from '../../src/model/object.ts';
import { scheduleWorld } from '../../src/planner/scheduling.ts';
import { processObject, running } from '../planner/fixtures.ts';
import { NOW, jobObject, jobRunning } from '../planner/job-fixtures.ts';

const MACHINE = { cpu: 1, memory: 1024 };

void it('decides as a pass over every object, with the objects that ask for nothing left out', () => {
  const objects: ManifestObject[] = [
    processObject('idle', { replicas: 3 }),
    processObject('web', { replicas: 1, raw: { resources: { requests: { cpu: '600m' } } } }),
    jobObject('report', { requests: { cpu: 0.5 } }),
    jobObject('small', { requests: { cpu: 0.25 } }),
  ];
  const desired = new Map(objects.map((o) => [o.key, o]));
  const observed = new Map<string, ObservedInstance[]>([['process/web', [running(0)]], ['job/small', [jobRunning(0, {}, 'small')]]]);
  const memo = createSchedulingMemo({ machine: MACHINE, objects: () => desired, history: () => new Map(), clock: { now: () => NOW } });
  const policy = { capacity: MACHINE, preemption: true, aging: { everyMs: 60_000, boost: 1 }, timeSliceMs: 0 };
  const whole = scheduleWorld({ objects: desired, observed, history: new Map(), policy, now: NOW });
  const memoised = memo.view(observed, NOW);
  assert.deepEqual(memoised.decision, whole.decision);
  assert.deepEqual(memoised.stats, whole.stats);
  assert.deepEqual(memoised.admission('job/report', 'report-0'), whole.admission('job/report', 'report-0'));
  assert.equal(memoised.admission('job/report', 'report-0').kind, 'wait');
  assert.deepEqual(memoised.admission('process/idle', 'idle-0'), { kind: 'none' });
});
