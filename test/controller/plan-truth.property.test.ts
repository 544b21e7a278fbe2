/**
 * The plan a dry run shows is the plan a pass carries out, and capacity holds across arrivals,
 * completions and controller restarts (fast-check; the seed is logged, set FC_SEED to replay).
 *
 * Invariants:
 * (a) over random desired objects (Processes of any replicas, policy and spec, Jobs with cpu
 *     requests, a one-Node capacity) and observed instances (running, stopping, exited, of any
 *     spec, of pruned objects too), `planAll` of the world as `tend diff` builds it equals the
 *     first pass of a controller on that world, and that pass's executor (the dry-run one)
 *     receives exactly its non-wait actions;
 * (b) for any sequence of Job arrivals, completions, time passing and controller restarts (a
 *     new controller on the state the old one left), the Jobs running unsuspended never reserve
 *     more cpu than the Node has, checked at every action the executor receives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createController, type Controller } from '../../src/controller/controller.ts';
import type { FileOutcome } from '../../src/controller/desired.ts';
import { createDryRunExecutor, type DryRunExecutor } from '../../src/executor/dry-run.ts';
import type { Action } from '../../src/model/action.ts';
import type { History } from '../../src/model/history.ts';
import type { InstanceState, ObservedInstance } from '../../src/model/instance.ts';
import type { JobObject } from '../../src/model/job.ts';
import type { ManifestObject, ObjectKey, ProcessSpec } from '../../src/model/object.ts';
import type { KeyPlan } from '../../src/planner/key-plan.ts';
import { actionsOf, planAll } from '../../src/planner/plan-key.ts';
import { planWorld } from '../../src/planner/plan-world.ts';
import { createFakeClock, type FakeClock } from '../helpers/fake-clock.ts';
import { NOW, processObject, running } from '../planner/fixtures.ts';
import { jobObject } from '../planner/job-fixtures.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const MACHINE = { cpu: 8, memory: 2 ** 34 };
const CPU = 2;
const NODE: ManifestObject = { kind: 'Node', name: 'local', key: 'node/local', labels: {}, source: { file: 'node.yaml', line: 1, col: 1, uid: 0, gid: 0 }, spec: { capacity: { cpu: CPU } }, specHash: 'n', contentHash: 'n' };
const files = (objects: readonly ManifestObject[]): FileOutcome[] => objects.map((object) => ({ file: `${object.key.replace('/', '-')}.yaml`, ok: true, empty: false, objects: [object] }));

const processArb = fc.record({
  name: fc.constantFrom('a', 'b', 'c'),
  desired: fc.boolean(),
  replicas: fc.integer({ min: 0, max: 3 }),
  restartPolicy: fc.constantFrom<ProcessSpec['restartPolicy']>('Always', 'OnFailure', 'Never'),
  hash: fc.constantFrom('h1', 'h2'),
  cpu: fc.constantFrom(0, 1),
  slots: fc.array(fc.record({ state: fc.constantFrom<InstanceState>('running', 'stopping', 'exited'), hash: fc.constantFrom('h1', 'h2'), code: fc.constantFrom(0, 1) }), { maxLength: 4 }),
});
const jobArb = fc.record({ name: fc.constantFrom('j1', 'j2', 'j3'), cpu: fc.constantFrom(1, 2), priority: fc.constantFrom(10, 20, 40) });

const byKey = (a: Action): string => `${a.object} ${a.instance} ${a.type} ${a.reason}`;
const sorted = (actions: readonly Action[]): Action[] => [...actions].sort((x, y) => (byKey(x) < byKey(y) ? -1 : 1));

type ProcessParts = typeof processArb extends fc.Arbitrary<infer T> ? T : never;
type JobParts = typeof jobArb extends fc.Arbitrary<infer T> ? T : never;

function buildWorld(processes: readonly ProcessParts[], jobs: readonly JobParts[]) {
  const objects = new Map<ObjectKey, ManifestObject>([[NODE.key, NODE]]);
  const observed = new Map<ObjectKey, ObservedInstance[]>();
  for (const p of processes) {
    const raw = p.cpu > 0 ? { resources: { requests: { cpu: p.cpu } } } : {};
    if (p.desired) objects.set(`process/${p.name}`, processObject(p.name, { replicas: p.replicas, restartPolicy: p.restartPolicy, raw }, p.hash));
    const instances = p.slots.map((slot, replica) => {
      const exit = slot.state === 'exited' ? { exit: { code: slot.code, signal: null, at: NOW - 5000, reason: 'Exited' as const, requested: false } } : {};
      return running(replica, { specHash: slot.hash, state: slot.state, startedAt: NOW - 20_000, ...exit }, p.name);
    });
    if (instances.length > 0) observed.set(`process/${p.name}`, instances);
  }
  for (const j of jobs) objects.set(`job/${j.name}`, jobObject(j.name, { requests: { cpu: j.cpu }, priority: j.priority }));
  return { objects, observed };
}

async function firstPass(objects: ReadonlyMap<ObjectKey, ManifestObject>, observed: ReadonlyMap<ObjectKey, readonly ObservedInstance[]>) {
  const clock = createFakeClock(NOW);
  const executor = createDryRunExecutor(observed, clock);
  const passes: (readonly KeyPlan[])[] = [];
  const controller = createController({ executor, clock, events: { record: () => undefined }, pruneGraceMs: 300, machine: MACHINE, held: true, onPass: (p) => passes.push(p) });
  controller.applyLoad(files([...objects.values()]), 'r');
  // What `tend diff` plans from the same manifests, observations, history and time.
  const shown = actionsOf(planAll(planWorld({ objects: controller.desired().objects, observed: await executor.observe(), history: controller.history(), now: clock.now(), machine: MACHINE })));
  await controller.enqueueAll();
  controller.release();
  await controller.idle();
  controller.close();
  return { shown, done: actionsOf(passes[0] ?? []), applied: executor.applied };
}

describe('plan truth properties', () => {
  it(`(a) the dry run's plan is the pass's plan, and the executor gets its work (seed ${seed})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(processArb, { maxLength: 3 }), fc.array(jobArb, { maxLength: 3 }), async (processes, jobs) => {
        const { objects, observed } = buildWorld(processes, jobs);
        const { shown, done, applied } = await firstPass(objects, observed);
        assert.deepEqual(sorted(done), sorted(shown));
        const work = shown.filter((a) => a.type !== 'wait');
        assert.deepEqual(sorted(applied.slice(0, work.length).filter((a) => a.type !== 'wait')), sorted(work));
      }),
      { seed, numRuns: 60 },
    );
  });

  it(`(b) Jobs never reserve more than the Node's cpu, across arrivals, completions and restarts (seed ${seed})`, async () => {
    const step = fc.oneof(
      jobArb.map((j) => ({ kind: 'arrive' as const, ...j })),
      fc.nat(5).map((n) => ({ kind: 'complete' as const, n })),
      fc.constantFrom(100, 2000, 70_000).map((ms) => ({ kind: 'advance' as const, ms })),
      fc.constant({ kind: 'restart' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const clock = createFakeClock(NOW);
        const executor = createDryRunExecutor(undefined, clock);
        const checked = checkingCapacity(executor);
        const jobs = new Map<ObjectKey, JobObject>();
        let history: History = new Map();
        let controller = start(checked, clock, history, jobs);
        for (const s of steps) {
          if (s.kind === 'arrive') {
            const job = jobObject(s.name, { requests: { cpu: s.cpu }, priority: s.priority }, `h-${s.cpu}-${s.priority}`);
            jobs.set(job.key, job);
            controller.applyLoad(files([NODE, ...jobs.values()]), 'r');
          } else if (s.kind === 'complete') {
            const live = [...(await executor.observe()).values()].flat().filter((i) => i.state === 'running' && i.suspendedAt === undefined);
            const done = live[s.n % Math.max(1, live.length)];
            if (done) executor.exit(done.object, done.id, { code: 0, signal: null });
          } else if (s.kind === 'advance') clock.advance(s.ms);
          else {
            await settle(controller);
            history = controller.history();
            controller.close();
            controller = start(checked, clock, history, jobs);
          }
          await settle(controller);
          assert.ok(reserved(await executor.observe()) <= CPU, 'after the step');
        }
        controller.close();
      }),
      { seed, numRuns: 60 },
    );
  });
});

function start(executor: DryRunExecutor, clock: FakeClock, history: History, jobs: ReadonlyMap<ObjectKey, JobObject>): Controller {
  const controller = createController({ executor, clock, history, events: { record: () => undefined }, pruneGraceMs: 300, machine: MACHINE });
  controller.applyLoad(files([NODE, ...jobs.values()]), 'r');
  void controller.enqueueAll();
  return controller;
}

async function settle(controller: Controller): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    await controller.idle();
  }
}

// cpu the running, unsuspended Job instances reserve.
function reserved(observed: ReadonlyMap<ObjectKey, readonly ObservedInstance[]>): number {
  let cpu = 0;
  for (const list of observed.values()) for (const i of list) if (i.state === 'running' && i.suspendedAt === undefined && i.object.startsWith('job/')) cpu += cpuOf(i);
  return cpu;
}

// The executor, checking capacity after every start and resume it carries out.
function checkingCapacity(executor: DryRunExecutor): DryRunExecutor {
  return {
    ...executor,
    async apply(action) {
      const result = await executor.apply(action);
      if (action.type === 'start' || action.type === 'resume') {
        const cpu = reserved(await executor.observe());
        assert.ok(cpu <= CPU, `${cpu} cpu reserved after ${action.type} ${action.instance}`);
      }
      return result;
    },
  };
}

// The cpu an instance's spec hash says it requests (`h-<cpu>-<priority>`).
function cpuOf(instance: ObservedInstance): number {
  return Number(instance.specHash.split('-')[1] ?? 0);
}
