/**
 * planKey: one pure planning of one key of any kind, with its history edits, events and notes.
 * Asserts reason codes and edits, never message text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { History, ObjectHistory } from '../../src/model/history.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { ManifestObject, ObjectKey, ProcessSpec } from '../../src/model/object.ts';
import { planAll, planKey } from '../../src/planner/plan-key.ts';
import { planWorld } from '../../src/planner/plan-world.ts';
import type { PlanWorld } from '../../src/planner/key-plan.ts';
import { exited, HASH, KEY, NOW, OLD_HASH, processObject, running, SPEC } from './fixtures.ts';
import { jobObject } from './job-fixtures.ts';

const MACHINE = { cpu: 8, memory: 2 ** 34 };
const NODE: ManifestObject = { kind: 'Node', name: 'local', key: 'node/local', labels: {}, source: { file: 'n.yaml', line: 1, col: 1, uid: 0, gid: 0 }, spec: { capacity: { cpu: 1 } }, specHash: 'n', contentHash: 'n' };

function world(objects: readonly ManifestObject[], observed: Record<ObjectKey, readonly ObservedInstance[]> = {}, history: History = new Map(), extra: Partial<Parameters<typeof planWorld>[0]> = {}): PlanWorld {
  return planWorld({ objects: new Map(objects.map((o) => [o.key, o])), observed: new Map(Object.entries(observed)), history, now: NOW, machine: MACHINE, ...extra });
}

const reasons = (w: PlanWorld, key: ObjectKey): string[] => planKey(w, key).actions.map((a) => `${a.type} ${a.instance} ${a.reason}`);

describe('planKey', () => {
  it('tells an exit once: an event, the slot\'s last exit and the failure as history edits', () => {
    const crash = exited(0, { code: 1, at: NOW - 10 });
    const plan = planKey(world([processObject('web', { replicas: 1, restartPolicy: 'Never' })], { [KEY]: [crash] }), KEY);
    assert.deepEqual(plan.events.map((e) => [e.reason, e.type, e.at]), [['Exited', 'Warning', NOW - 10]]);
    assert.deepEqual(plan.historyEdits.map((e) => e.type), ['exit']);
    const edit = plan.historyEdits[0];
    assert.equal(edit?.type === 'exit' ? edit.failure?.type : undefined, 'Crash');
  });

  it('does not tell an exit the history already holds (a new controller adopting it)', () => {
    const crash = exited(0, { code: 1, at: NOW - 10 });
    const history: History = new Map([[KEY, { generation: 1, contentHash: '', slots: { 0: { restarts: 0, backoffAttempt: 0, lastExit: crash.exit } } } as ObjectHistory]]);
    const plan = planKey(world([processObject('web', { replicas: 1, restartPolicy: 'Never' })], { [KEY]: [crash] }, history), KEY);
    assert.deepEqual(plan.events, []);
    assert.deepEqual(plan.historyEdits, []);
  });

  it('stops a pruned instance without forgetting it, and forgets it once its exit is told', () => {
    const live = planKey(world([], { [KEY]: [running(0)] }), KEY);
    assert.deepEqual(live.actions.map((a) => [a.type, a.reason, a.type === 'stop' && a.forget]), [['stop', 'Pruned', false]]);
    const gone = exited(0, { code: null, signal: 'SIGTERM', requested: true, at: NOW - 1 });
    const after = planKey(world([], { [KEY]: [gone] }), KEY);
    assert.deepEqual(after.events.map((e) => e.reason), ['Exited']);
    assert.deepEqual(after.actions.map((a) => [a.type, a.reason, a.type === 'stop' && a.forget]), [['stop', 'Pruned', true]]);
  });

  it('admits two one-cpu Jobs on a one-cpu Node one at a time, in arrival order then name', () => {
    const first = jobObject('first', { requests: { cpu: 1 } });
    const second = jobObject('second', { requests: { cpu: 1 } });
    const w = world([NODE, first, second]);
    assert.deepEqual(reasons(w, 'job/first'), ['start first-0 Create']);
    assert.deepEqual(reasons(w, 'job/second'), ['wait second-0 Unschedulable']);
    assert.deepEqual(planAll(w).flatMap((p) => p.actions.map((a) => a.type)), ['start', 'wait']);
  });

  it('planAll with a turn budget gives up a turn when it asks, and plans the same as in one turn', async () => {
    const objects = ['a', 'b', 'c', 'd', 'e'].map((name) => processObject(name, { replicas: 1 }));
    const w = world(objects, { 'process/zombie': [running(0)] });
    let asked = 0;
    let given = 0;
    const everySecond = (): Promise<void> | undefined => (++asked % 2 === 0 ? Promise.resolve(void given++) : undefined);
    const sliced = await planAll(w, undefined, everySecond);
    assert.deepEqual(sliced, planAll(w));
    assert.deepEqual(sliced.map((p) => p.key), ['process/a', 'process/b', 'process/c', 'process/d', 'process/e', 'process/zombie']);
    assert.deepEqual([asked, given], [6, 3], 'asked after every key; a turn given up each time it said so');
    assert.deepEqual((await planAll(w, ['process/c', 'process/a'], everySecond)).map((p) => p.key), ['process/c', 'process/a'], 'the keys given, in their order');
  });

  it('a Job run record is a history edit, not a write', () => {
    const history: History = new Map();
    const plan = planKey(world([jobObject('first')], {}, history), 'job/first');
    assert.deepEqual(plan.historyEdits.map((e) => e.type), ['job']);
    assert.equal(history.size, 0);
  });

  it('judges an old instance by its own revision: a new readiness probe does not make it unavailable', () => {
    const probed: Partial<ProcessSpec> = { replicas: 3, probes: { readiness: { check: { type: 'exec' as const, command: ['false'] }, initialDelayMs: 0, periodMs: 1000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 1 } } };
    const object = processObject('web', probed);
    const old = [0, 1, 2].map((r) => running(r, { specHash: OLD_HASH }));
    const notReady = new Map(old.map((i) => [i.id, { pid: i.pid, startedAt: i.startedAt, since: i.startedAt, started: true, ready: false, livenessFailed: false, probes: { readiness: { ok: false, at: NOW, message: 'exit 1', successes: 0, failures: 1 } } }]));
    const withRevision: History = new Map([[KEY, { generation: 2, contentHash: '', slots: {}, revisions: { [OLD_HASH]: SPEC } }]]);
    const health = new Map([[KEY, notReady]]);
    const planned = planKey(world([object], { [KEY]: old }, withRevision, { health }), KEY).actions.filter((a) => a.type === 'stop');
    assert.equal(planned.length, 1, 'maxUnavailable 1: one old instance at a time');
    const unknown = planKey(world([object], { [KEY]: old }, new Map(), { health }), KEY).actions.filter((a) => a.type === 'stop');
    assert.equal(unknown.length, 3, 'without the revision the new probe judges them (what the state file prevents)');
  });

  it('forgets a kept revision once no instance runs it', () => {
    const withRevision: History = new Map([[KEY, { generation: 2, contentHash: '', slots: {}, revisions: { [OLD_HASH]: SPEC } }]]);
    const plan = planKey(world([processObject('web', { replicas: 1 })], { [KEY]: [running(0, { specHash: HASH })] }, withRevision), KEY);
    assert.deepEqual(plan.historyEdits, [{ type: 'forgetRevisions', specHashes: [OLD_HASH] }]);
  });

  it('says nothing of a dependency whose readiness probe has not answered yet under live dependents', () => {
    const probes = { readiness: { check: { type: 'exec' as const, command: ['true'] }, initialDelayMs: 0, periodMs: 1000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 3 } } as ProcessSpec['probes'];
    const db = processObject('db', { replicas: 1, probes });
    const web = processObject('web', { replicas: 1, dependsOn: [{ key: 'process/db', condition: 'ready' }] });
    const observed = { 'process/db': [running(0, {}, 'db')], [KEY]: [running(0)] };
    assert.deepEqual(planKey(world([db, web], observed), KEY).events, []);
    const failing = new Map([['process/db', new Map([['db-0', { pid: 100, startedAt: 1000, since: NOW, started: true, ready: false, livenessFailed: false, probes: { readiness: { ok: false, at: NOW, message: 'x', successes: 0, failures: 3 } } }]])]]);
    assert.deepEqual(planKey(world([db, web], observed, new Map(), { health: failing }), KEY).events.map((e) => e.reason), ['DependencyFailure']);
  });
});
