/**
 * `dependsOn`: each condition met or not by the dependency's instances, a dependency that ended
 * for good, and what the planner does with the result (starts held as waits, running instances
 * left alone).
 */
import { jobObject } from './job-fixtures.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Health } from '../../src/model/health.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { DependencyCondition, ManifestObject, ProcessSpec } from '../../src/model/object.ts';
import { dependencyStatuses, gateOf } from '../../src/planner/dependencies.ts';
import { plan } from '../../src/planner/plan-key.ts';
import { exited, NOW, processObject, running } from './fixtures.ts';

const db = (spec: Partial<ProcessSpec> = {}) => processObject('db', { replicas: 1, ...spec });
const web = (condition: DependencyCondition) => processObject('web', { replicas: 1, dependsOn: [{ key: 'process/db', condition }] });
const dbRunning = (patch: Partial<ObservedInstance> = {}) => running(0, patch, 'db');
const dbExited = (code: number, patch: Partial<ObservedInstance> = {}) => ({ ...exited(0, { code }, patch), id: 'db-0', object: 'process/db' });

function world(condition: DependencyCondition, dbInstances: ObservedInstance[], dbSpec: Partial<ProcessSpec> = {}, health?: Health) {
  const objects = new Map([['process/db', db(dbSpec)], ['process/web', web(condition)]]);
  const observed = new Map([['process/db', dbInstances]]);
  return { objects, observed, history: new Map(), ...(health ? { health } : {}) };
}

void describe('dependency conditions', () => {
  const readyProbe = { readiness: { check: { type: 'tcp', host: '127.0.0.1', port: 1 }, initialDelayMs: 0, periodMs: 1000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 3 } } as const;
  const probed = (ready: boolean): Health =>
    new Map([['process/db', new Map([['db-0', { pid: 100, startedAt: 1000, since: 1000, started: true, ready, livenessFailed: false, probes: {} }]])]]);
  const table: readonly { name: string; condition: DependencyCondition; db: ObservedInstance[]; spec?: Partial<ProcessSpec>; health?: Health; met: boolean; failed?: boolean }[] = [
    { name: 'started: a running instance', condition: 'started', db: [dbRunning()], met: true },
    { name: 'started: nothing running yet', condition: 'started', db: [], met: false },
    { name: 'started: still in preStart', condition: 'started', db: [dbRunning({ state: 'starting', pid: 0 })], met: false },
    { name: 'ready: running without a readiness probe', condition: 'ready', db: [dbRunning()], met: true },
    { name: 'ready: the readiness probe has not passed', condition: 'ready', db: [dbRunning()], spec: { probes: readyProbe }, health: probed(false), met: false },
    { name: 'ready: the readiness probe passed', condition: 'ready', db: [dbRunning()], spec: { probes: readyProbe }, health: probed(true), met: true },
    { name: 'ready: postStart still runs', condition: 'ready', db: [dbRunning({ hook: 'postStart' })], met: false },
    { name: 'completed: exited 0', condition: 'completed', db: [dbExited(0)], spec: { restartPolicy: 'Never' }, met: true },
    { name: 'completed: a run of an older spec does not count', condition: 'completed', db: [dbExited(0, { specHash: 'h-old' })], spec: { restartPolicy: 'Never' }, met: false },
    { name: 'completed: still running', condition: 'completed', db: [dbRunning()], spec: { restartPolicy: 'Never' }, met: false },
    { name: 'completed: failed under Never ends for good', condition: 'completed', db: [dbExited(1)], spec: { restartPolicy: 'Never' }, met: false, failed: true },
    { name: 'completed: failed under OnFailure will run again', condition: 'completed', db: [dbExited(1)], spec: { restartPolicy: 'OnFailure' }, met: false },
    { name: 'started: a crash the policy restarts is only waiting', condition: 'started', db: [dbExited(1)], spec: { maxRestarts: 1 }, met: false },
  ];
  for (const row of table) {
    void it(row.name, () => {
      const w = world(row.condition, row.db, row.spec, row.health);
      const [status] = dependencyStatuses(web(row.condition), w);
      assert.equal(status?.met, row.met);
      assert.equal(status?.failed, row.failed ?? false);
    });
  }

  void it('a dependency that is not defined is never met; a Job is completed once its run Succeeded', () => {
    const dependent = processObject('web', { dependsOn: [{ key: 'process/db', condition: 'started' }, { key: 'job/migrate', condition: 'completed' }] });
    const job = jobObject('migrate');
    const objects = new Map<string, ManifestObject>([['process/web', dependent], ['job/migrate', job]]);
    const statuses = dependencyStatuses(dependent, { objects, observed: new Map(), history: new Map() });
    assert.deepEqual(statuses.map((s) => [s.met, s.message]), [
      [false, 'process/db (started): not defined'],
      [false, 'job/migrate (completed): Pending'],
    ]);
    const run = (finished?: { phase: 'Succeeded' | 'Failed'; at: number; reason: string }, specHash = job.specHash) =>
      new Map([['job/migrate', { generation: 1, contentHash: 'c', slots: {}, job: { specHash, arrivedAt: 0, retries: 0, requeues: 0, ...(finished ? { finished } : {}) } }]]);
    const after = (history: ReturnType<typeof run>) => dependencyStatuses(dependent, { objects, observed: new Map(), history })[1];
    assert.deepEqual([after(run({ phase: 'Succeeded', at: 1, reason: 'Completed' }))?.met, after(run({ phase: 'Succeeded', at: 1, reason: 'Completed' }))?.failed], [true, false]);
    assert.deepEqual([after(run({ phase: 'Failed', at: 1, reason: 'BackoffLimitExceeded' }))?.met, after(run({ phase: 'Failed', at: 1, reason: 'BackoffLimitExceeded' }))?.failed], [false, true]);
    // A run of an older spec does not count: a changed migration must complete again.
    assert.equal(after(run({ phase: 'Succeeded', at: 1, reason: 'Completed' }, 'h-old'))?.met, false);
  });
});

void describe('planning with dependencies', () => {
  const input = (dbInstances: ObservedInstance[], webInstances: ObservedInstance[], dbSpec: Partial<ProcessSpec> = {}) => {
    const w = world('started', dbInstances, dbSpec);
    return { desired: { objects: w.objects, revision: 'r' }, observed: new Map([...w.observed, ['process/web', webInstances]]), history: new Map(), now: NOW };
  };
  const webActions = (actions: ReturnType<typeof plan>) => actions.filter((a) => a.object === 'process/web').map((a) => [a.type, a.reason]);

  void it('holds the first start with a timeless wait until the dependency is met', () => {
    const waiting = plan(input([], []));
    assert.deepEqual(webActions(waiting), [['wait', 'WaitingForDependency']]);
    const wait = waiting.find((a) => a.object === 'process/web');
    assert.equal(wait?.type === 'wait' ? wait.until : 0, Infinity);
    assert.deepEqual(webActions(plan(input([dbRunning()], []))), [['start', 'Create']]);
  });

  void it('holds a restart too, and names a dependency that ended for good', () => {
    const crashed = { ...exited(0), id: 'web-0' };
    assert.deepEqual(webActions(plan(input([dbExited(1)], [crashed], { restartPolicy: 'Never' }))), [['wait', 'DependencyFailure']]);
  });

  void it('never stops running dependents when the dependency goes away', () => {
    assert.deepEqual(webActions(plan(input([], [running(0)]))), []);
  });

  void it('is met at once without dependencies', () => {
    assert.deepEqual(gateOf(processObject('web'), { objects: new Map(), observed: new Map(), history: new Map() }), { kind: 'met' });
  });
});
