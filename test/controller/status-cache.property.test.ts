/**
 * The status kept per key (controller/status-cache.ts) against a whole build of the same moment
 * (fast-check; the seed is logged, set FC_SEED to replay).
 *
 * Invariants:
 * (a) after any sequence of changes (objects added, changed, removed; instances started, exited,
 *     replaced; history written; samples and alerts; time passing; a new revision), the views and
 *     the summaries of a build equal `buildStatus` and `buildSummaries` of that moment with every
 *     key planned afresh;
 * (b) a change to one plain object's instances, history or samples plans and builds that key
 *     only: every other view is the same object as before (so its kept serialisation is reused).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createStatusCache, type StatusSource } from '../../src/controller/status-cache.ts';
import { buildStatus } from '../../src/controller/status.ts';
import { buildSummaries } from '../../src/controller/status-summary.ts';
import type { InstanceAlert } from '../../src/controller/resource-guard.ts';
import type { ObjectHistory } from '../../src/model/history.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { ManifestObject, ObjectKey } from '../../src/model/object.ts';
import type { ResourceUsage } from '../../src/model/usage.ts';
import { actionsOf, planAll, planKey } from '../../src/planner/plan-key.ts';
import { planWorld } from '../../src/planner/plan-world.ts';
import { NOW, processObject } from '../planner/fixtures.ts';
import { jobObject } from '../planner/job-fixtures.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const MACHINE = { cpu: 8, memory: 2 ** 34 };
const NAMES = ['a', 'b', 'c'] as const;

// The world a build reads, changed one step at a time; every change makes new objects, as the
// controller's immutable snapshots do.
interface World {
  objects: Map<ObjectKey, ManifestObject>;
  observed: Map<ObjectKey, readonly ObservedInstance[]>;
  history: Map<ObjectKey, ObjectHistory>;
  usage: Map<string, ResourceUsage>;
  alerts: InstanceAlert[];
  now: number;
  revision: string;
}

const variants = (name: string): ManifestObject[] => [
  processObject(name, { replicas: 1 }),
  processObject(name, { replicas: 2, restartPolicy: 'OnFailure' }, 'h-other'),
  processObject(name, { replicas: 2, circuitBreaker: { maxFailures: 2, windowMs: 60_000, cooldownMs: 5_000 } }),
  processObject(name, { replicas: 1, dependsOn: [{ key: 'process/a', condition: 'ready' }] }),
  jobObject(name),
];

function instance(name: string, kind: ManifestObject['kind'], replica: number, state: ObservedInstance['state'], pid: number, at: number): ObservedInstance {
  const key = kind === 'Job' ? `job/${name}` : `process/${name}`;
  const exit = state === 'exited' ? { exit: { code: pid % 2, signal: null, at, reason: 'Exited' as const, requested: false } } : {};
  return { id: `${name}-${replica}`, object: key, replica, pid, startTicks: pid, specHash: pid % 3 === 0 ? 'h-other' : 'h-current', generation: 1, startedAt: at - 500, state, ...exit };
}

type Change = (w: World) => void;

const keyOfName = (w: World, name: string): ObjectKey => (w.objects.get(`job/${name}`) ? `job/${name}` : `process/${name}`);

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ name: fc.constantFrom(...NAMES), variant: fc.nat(4) }).map(({ name, variant }) => (w: World) => {
    w.objects.delete(`process/${name}`);
    w.objects.delete(`job/${name}`);
    const object = variants(name)[variant];
    if (object) w.objects.set(object.key, object);
  }),
  fc.constantFrom(...NAMES).map((name) => (w: World) => {
    w.objects.delete(`process/${name}`);
    w.objects.delete(`job/${name}`);
  }),
  fc.record({ name: fc.constantFrom(...NAMES), states: fc.array(fc.constantFrom('running', 'exited', 'stopping', 'starting') as fc.Arbitrary<ObservedInstance['state']>, { maxLength: 3 }), pid: fc.integer({ min: 100, max: 999 }) })
    .map(({ name, states, pid }) => (w: World) => {
      const key = keyOfName(w, name);
      const kind = key.startsWith('job/') ? 'Job' : 'Process';
      if (states.length === 0) w.observed.delete(key);
      else w.observed.set(key, states.map((s, i) => instance(name, kind, i, s, pid + i, w.now)));
    }),
  fc.record({ name: fc.constantFrom(...NAMES), restarts: fc.nat(3), generation: fc.integer({ min: 1, max: 3 }), open: fc.boolean() }).map(({ name, restarts, generation, open }) => (w: World) => {
    const circuit = open ? { circuit: { state: 'Open' as const, failures: [], openedAt: w.now } } : {};
    w.history.set(keyOfName(w, name), { generation, contentHash: `c${generation}`, slots: { 0: { restarts, backoffAttempt: restarts } }, ...circuit });
  }),
  fc.record({ name: fc.constantFrom(...NAMES), cpu: fc.constantFrom(0, 1.5), memory: fc.constantFrom(1000, 2000) }).map(({ name, cpu, memory }) => (w: World) => {
    for (const i of w.observed.get(keyOfName(w, name)) ?? []) w.usage.set(i.id, { cpu, memory, fds: 3, threads: 1, sockets: 0 });
  }),
  fc.constantFrom(...NAMES).map((name) => (w: World) => {
    const key = keyOfName(w, name);
    const had = w.alerts.some((a) => a.object === key);
    w.alerts = had ? w.alerts.filter((a) => a.object !== key) : [...w.alerts, { object: key, instance: `${name}-0`, resource: 'memory', severity: 'warning', value: 900, limit: 1000, since: w.now }];
  }),
  fc.integer({ min: 1, max: 20_000 }).map((ms) => (w: World) => void (w.now += ms)),
  fc.constant((w: World) => void (w.now += 30_000)),
  fc.constantFrom('r1', 'r2').map((revision) => (w: World) => void (w.revision = revision)),
);

function sourceOf(w: World): StatusSource {
  const usage = new Map(w.usage);
  return {
    desired: { objects: new Map(w.objects), revision: w.revision },
    observed: new Map(w.observed),
    history: new Map(w.history),
    now: w.now,
    usage: (i) => usage.get(i.id),
    alerts: [...w.alerts],
  };
}

const worldOf = (s: StatusSource) => planWorld({ objects: s.desired.objects, observed: s.observed, history: s.history, now: s.now, machine: MACHINE });

test('a build kept per key equals a whole build of the same moment, after any changes', async () => {
  console.log(`status-cache property seed: ${seed}`);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(changeArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 }), async (steps) => {
      const w: World = { objects: new Map(), observed: new Map(), history: new Map(), usage: new Map(), alerts: [], now: NOW, revision: 'r1' };
      let source = sourceOf(w);
      const cache = createStatusCache({ plan: (keys) => Promise.resolve(actionsOf(keys.map((key) => planKey(worldOf(source), key)))) });
      for (const step of steps) {
        for (const change of step) change(w);
        source = sourceOf(w);
        const build = await cache.build(source);
        const whole = { ...source, plan: actionsOf(planAll(worldOf(source))) };
        assert.deepEqual(await build.views(), buildStatus(whole));
        assert.deepEqual(await build.summaries(), buildSummaries(whole));
      }
    }),
    { seed, numRuns: 400 },
  );
});

test('a change to one object plans and builds that object only; the other views are kept as they were', async () => {
  const n = 200;
  const w: World = { objects: new Map(), observed: new Map(), history: new Map(), usage: new Map(), alerts: [], now: NOW, revision: 'r1' };
  for (let i = 0; i < n; i++) {
    const object = processObject(`p${i}`, { replicas: 1 });
    w.objects.set(object.key, object);
    w.observed.set(object.key, [instance(`p${i}`, 'Process', 0, 'running', 1000 + i, NOW)]);
    w.usage.set(`p${i}-0`, { cpu: 0, memory: 1000, fds: 3, threads: 1, sockets: 0 });
  }
  let source = sourceOf(w);
  const planned: ObjectKey[][] = [];
  const cache = createStatusCache({
    plan: (keys) => {
      planned.push([...keys]);
      return Promise.resolve(actionsOf(keys.map((key) => planKey(worldOf(source), key))));
    },
  });
  const first = await (await cache.build(source)).views();
  assert.equal(planned[0]?.length, n);
  // One exit, a sample of another with the same figures (a quiet instance), and time passing.
  w.observed.set('process/p7', [instance('p7', 'Process', 0, 'exited', 1007, NOW + 10)]);
  w.usage.set('p9-0', { cpu: 0, memory: 1000, fds: 3, threads: 1, sockets: 0 });
  w.now += 5_000;
  source = sourceOf(w);
  const build = await cache.build(source);
  const second = await build.views();
  assert.deepEqual([...build.rebuilt], ['process/p7']);
  assert.deepEqual(planned[1], ['process/p7']);
  for (const [i, view] of second.entries()) {
    if (view.key === 'process/p7') assert.notEqual(view, first[i]);
    else assert.equal(view, first[i], view.key);
  }
  assert.deepEqual(second, buildStatus({ ...source, plan: actionsOf(planAll(worldOf(source))) }));
});

test('after a load, answers that do not wait plan nothing the fill has not reached, then reuse what it made', async () => {
  const n = 100;
  const w: World = { objects: new Map(), observed: new Map(), history: new Map(), usage: new Map(), alerts: [], now: NOW, revision: 'r1' };
  for (let i = 0; i < n; i++) {
    const object = processObject(`p${i}`, { replicas: 1 });
    w.objects.set(object.key, object);
  }
  w.observed.set('process/p3', [instance('p3', 'Process', 0, 'running', 1003, NOW)]);
  let source = sourceOf(w);
  const planned: ObjectKey[][] = [];
  const inOneTurn: boolean[] = [];
  const made: unknown[] = [];
  const cache = createStatusCache({
    plan: (keys, _source, oneTurn) => {
      planned.push([...keys]);
      inOneTurn.push(oneTurn);
      return Promise.resolve(actionsOf(keys.map((key) => planKey(worldOf(source), key))));
    },
    made: (item) => made.push(item),
  });
  const early = await cache.build(source, { provisional: true });
  assert.equal(planned.length, 0, 'nothing planned by the answer');
  assert.equal(early.provisional.size, n);
  const shown = await early.summaries();
  assert.deepEqual(shown.map((s) => s.key), buildSummaries({ ...source, plan: [] }).map((s) => s.key));
  assert.deepEqual(shown, buildSummaries({ ...source, plan: [] }), 'shown from the objects and instances with nothing planned');
  assert.equal((await (await cache.build(source, { provisional: true })).summaries())[0], shown[0], 'a provisional entry serves the next answer too');

  assert.equal(await cache.fill(source), n);
  assert.equal(planned.length, 1);
  assert.equal(planned[0]?.length, n, 'the fill plans every key');
  assert.equal(made.length, 2 * n, 'a summary and a view per key, handed out as made');
  const whole = { ...source, plan: actionsOf(planAll(worldOf(source))) };
  const after = await cache.build(source, { provisional: true });
  assert.deepEqual([after.provisional.size, after.rebuilt.size], [0, 0]);
  assert.deepEqual(await after.summaries(), buildSummaries(whole));
  assert.ok((await after.views()).every((v, i) => v === made[2 * i + 1]), 'the views the fill made');

  // A start during the bring-up: that key alone is planned by the next answer.
  w.observed.set('process/p5', [instance('p5', 'Process', 0, 'running', 1005, NOW)]);
  source = sourceOf(w);
  const next = await cache.build(source, { provisional: true });
  assert.deepEqual([...next.rebuilt], ['process/p5']);
  assert.deepEqual(planned[1], ['process/p5']);
  assert.deepEqual(inOneTurn, [false, true], 'the fill plans a turn at a time, an answer in its one turn');
  assert.deepEqual(await next.summaries(), buildSummaries({ ...source, plan: actionsOf(planAll(worldOf(source))) }));
});

test('a full build plans the keys answers showed provisionally', async () => {
  const w: World = { objects: new Map(), observed: new Map(), history: new Map(), usage: new Map(), alerts: [], now: NOW, revision: 'r1' };
  for (const name of NAMES) w.objects.set(`process/${name}`, processObject(name, { replicas: 1 }));
  const source = sourceOf(w);
  const cache = createStatusCache({ plan: (keys) => Promise.resolve(actionsOf(keys.map((key) => planKey(worldOf(source), key)))) });
  await (await cache.build(source, { provisional: true })).views();
  const full = await cache.build(source);
  assert.equal(full.rebuilt.size, NAMES.length);
  assert.deepEqual(await full.views(), buildStatus({ ...source, plan: actionsOf(planAll(worldOf(source))) }));
});

test('a fill first makes what answers show of the keys it has yet to plan, so an answer meanwhile makes none', async () => {
  const n = 50;
  const objects = Array.from({ length: n }, (_, i) => processObject(`p${i}`, { replicas: 1 }));
  const source = sourceOf({ objects: new Map(objects.map((o) => [o.key, o])), observed: new Map(), history: new Map(), usage: new Map(), alerts: [], now: NOW, revision: 'r1' });
  const made: unknown[] = [];
  let release: () => void = () => undefined;
  let asked = false;
  const cache = createStatusCache({
    plan: async (keys) => {
      asked = true;
      await new Promise<void>((resolve) => (release = resolve));
      return actionsOf(keys.map((key) => planKey(worldOf(source), key)));
    },
    made: (item) => made.push(item),
  });
  const filling = cache.fill(source);
  while (!asked) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(made.length, 2 * n, 'a summary and a view per key, made before the fill plans');
  const answer = await cache.build(source, { provisional: true });
  assert.equal(answer.provisional.size, 0, 'the answer showed nothing it had to make');
  assert.ok((await answer.views()).every((v, i) => v === made[2 * i + 1]), 'the views made ahead');
  assert.deepEqual(await answer.summaries(), buildSummaries({ ...source, plan: [] }));
  release();
  assert.equal(await filling, n);
  const after = await cache.build(source, { provisional: true });
  assert.deepEqual(await after.views(), buildStatus({ ...source, plan: actionsOf(planAll(worldOf(source))) }));
});
