/**
 * The overview's one line per object agrees with the full status view it stands in for: phase,
 * reason, replicas, ready count, restarts, circuit, the live instances' count, oldest start and
 * summed usage, with the same keys in the same order; an object that only still has instances
 * is listed too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildStatus, type StatusInput } from '../../src/controller/status.ts';
import { buildSummaries } from '../../src/controller/status-summary.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import { exited, NOW, processObject, running } from '../planner/fixtures.ts';

const web = processObject('web', { replicas: 3, circuitBreaker: { maxFailures: 3, windowMs: 60_000, cooldownMs: 60_000 } });
const db = processObject('db', { replicas: 1 });
const input: StatusInput = {
  desired: { objects: new Map([[web.key, web], [db.key, db]]), revision: 'r1' },
  observed: new Map<string, ObservedInstance[]>([
    [web.key, [running(0, { startedAt: 5000 }), running(1, { startedAt: 2000, pid: 301 }), exited(2)]],
    [db.key, [running(0, { object: db.key, id: 'db-0' }, 'db')]],
    ['process/gone', [running(0, { object: 'process/gone', id: 'gone-0', pid: 777 }, 'gone')]],
  ]),
  history: new Map([[web.key, { generation: 4, contentHash: 'c4', slots: { 0: { restarts: 2, backoffAttempt: 0 }, 2: { restarts: 5, backoffAttempt: 1 } } }]]),
  plan: [],
  now: NOW,
  usage: (i) => (i.object === web.key ? { cpu: i.replica === 0 ? 1.25 : 2.5, memory: 1000 * (i.replica + 1), fds: 1, threads: 1, sockets: 0 } : undefined),
};

test('each summary carries what the full view shows of its object', () => {
  const views = buildStatus(input);
  const summaries = buildSummaries(input);
  assert.deepEqual(summaries.map((s) => s.key), views.map((v) => v.key));
  for (const [i, s] of summaries.entries()) {
    const v = views[i];
    assert.ok(v);
    const { phase, reason, replicas, readyReplicas, restarts, circuit } = v.status;
    assert.deepEqual(s.status, { phase, reason, replicas, readyReplicas, restarts, ...(circuit ? { circuit } : {}) }, s.key);
    assert.deepEqual([s.kind, s.name, s.generation, s.revision, s.labels], [v.kind, v.name, v.generation, v.revision, v.labels]);
    const live = v.instances.filter((x) => x.pid !== null);
    assert.equal(s.running, live.length, s.key);
    assert.equal(s.instanceCount, v.instances.length);
    const starts = live.flatMap((x) => (x.startedAt ? [x.startedAt] : [])).sort();
    assert.equal(s.startedAt, starts[0] ?? null, s.key);
  }
});

test('usage is summed over the live instances, absent when none was sampled', () => {
  const [db, gone, web] = buildSummaries(input);
  assert.deepEqual(web?.usage, { cpu: 3.8, memory: 3000 });
  assert.equal(web?.status.restarts, 7);
  assert.equal(web?.startedAt, new Date(2000).toISOString());
  assert.equal(db?.usage, undefined);
  assert.equal(gone?.status.phase, 'Terminating');
});
