/**
 * The plan `tend diff` and `reconcile --once --dry-run` show is what one real pass does, through
 * the local executor on real processes (fast-check; the seed is logged, set FC_SEED to replay,
 * FC_RUNS to change the number of runs).
 *
 * Each run builds, through the real manifest pipeline, a random desired state (up to three
 * Processes of 0-3 replicas, any restart policy, at their first or second revision; up to two
 * Jobs with cpu requests; a Node of 1, 2 or 4 cpu) and makes a random observed state real:
 * instances of either revision started by the executor as `sleep` programs, some then SIGKILLed
 * and some ending on their own with code 0 or 1 before the pass, some of objects gone from the
 * manifests. Then, on that world:
 * (a) `planAll` of the world as `tend diff` builds it equals the first pass's plan;
 * (b) the executor receives exactly that plan's non-wait actions (each key's in the planned
 *     order), and each is ok;
 * (c) right after the pass, every instance it started runs a live process (in /proc) of the
 *     planned revision, and every live instance it stopped has no process left soon after.
 * Every process a run started is killed, and its folder removed, before the next run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { createController } from '../../src/controller/controller.ts';
import type { FileOutcome } from '../../src/controller/desired.ts';
import type { Executor } from '../../src/executor/executor.ts';
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts';
import { validateManifestText } from '../../src/manifest/validate.ts';
import type { Action, ActionResult, StartAction } from '../../src/model/action.ts';
import type { Observed } from '../../src/model/instance.ts';
import { isProcessObject, type ManifestObject, type ObjectKey, type ProcessObject } from '../../src/model/object.ts';
import { systemClock, type Clock } from '../../src/platform/clock.ts';
import { stateIdOf } from '../../src/platform/state-dir.ts';
import type { KeyPlan } from '../../src/planner/key-plan.ts';
import { actionsOf, planAll } from '../../src/planner/plan-key.ts';
import { planWorld } from '../../src/planner/plan-world.ts';
import { alive, markedPids, removeWorld, waitFor } from './harness.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.FC_RUNS ?? 20);
const MACHINE = { cpu: 8, memory: 2 ** 34 };

type Ending = 'running' | 'killed' | 'exit0' | 'exit1';
const processArb = fc.record({
  name: fc.constantFrom('a', 'b', 'c'),
  desired: fc.boolean(),
  replicas: fc.integer({ min: 0, max: 3 }),
  restartPolicy: fc.constantFrom('Always', 'OnFailure', 'Never'),
  revision: fc.constantFrom(1, 2),
  slots: fc.array(fc.record({ end: fc.constantFrom<Ending>('running', 'killed', 'exit0', 'exit1'), revision: fc.constantFrom(1, 2) }), { maxLength: 3 }),
});
const jobArb = fc.record({ name: fc.constantFrom('j1', 'j2'), cpu: fc.constantFrom(1, 2), priority: fc.constantFrom(10, 40) });
type ProcessParts = typeof processArb extends fc.Arbitrary<infer T> ? T : never;
type JobParts = typeof jobArb extends fc.Arbitrary<infer T> ? T : never;

const byKey = (a: Action): string => `${a.object} ${a.instance} ${a.type} ${a.reason}`;
const sorted = (actions: readonly Action[]): Action[] => [...actions].sort((x, y) => (byKey(x) < byKey(y) ? -1 : 1));

// Revision r of a Process: `sleep`, unless its instance finds an exit file naming a code (so an
// instance of the very program the revision names can end on its own). A one-hour backoff keeps
// every back-off deadline far from the moment of the pass.
function processYaml(p: ProcessParts, revision: number, root: string): string {
  const script = `f=${root}/$TEND_INSTANCE.exit; if [ -f "$f" ]; then exit "$(cat "$f")"; fi; exec sleep 100${revision}`;
  return [
    'apiVersion: tend/v1',
    'kind: Process',
    `metadata: {name: ${p.name}}`,
    'spec:',
    `  command: ${JSON.stringify(['sh', '-c', script])}`,
    `  replicas: ${p.replicas}`,
    `  restartPolicy: ${p.restartPolicy}`,
    '  backoff: {initialDelay: 1h, maxDelay: 2h}',
    '  stop: {gracePeriod: 5s}',
    '',
  ].join('\n');
}

function jobYaml(j: JobParts): string {
  return ['apiVersion: tend/v1', 'kind: Job', `metadata: {name: ${j.name}}`, 'spec:', '  command: ["sleep", "1000"]', `  priority: ${j.priority}`, `  resources: {requests: {cpu: ${j.cpu}}}`, ''].join('\n');
}

function objectOf(text: string, root: string): ManifestObject {
  const result = validateManifestText(text, { file: 'all.yaml', dir: root, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, readEnvFile: () => ({ ok: false, reason: 'missing', message: 'none' }) });
  const [object] = result.objects;
  if (!object) throw new Error(`the manifest does not validate: ${JSON.stringify(result.diagnostics)}`);
  return object;
}

interface Desired {
  readonly objects: ManifestObject[];
  /** Per Process name, its object at revision 1 and 2 (whether desired or not). */
  readonly revisions: Map<string, readonly [ProcessObject, ProcessObject]>;
}

function desiredOf(processes: readonly ProcessParts[], jobs: readonly JobParts[], cpu: number, root: string): Desired {
  const objects: ManifestObject[] = [objectOf(['apiVersion: tend/v1', 'kind: Node', 'metadata: {name: local}', `spec: {capacity: {cpu: ${cpu}}}`, ''].join('\n'), root)];
  const revisions = new Map<string, readonly [ProcessObject, ProcessObject]>();
  for (const p of uniqueBy(processes, (x) => x.name)) {
    const both = [1, 2].map((r) => objectOf(processYaml(p, r, root), root)).filter(isProcessObject);
    const [one, two] = both;
    if (!one || !two) throw new Error('a Process revision does not validate');
    revisions.set(p.name, [one, two]);
    if (p.desired) objects.push(p.revision === 1 ? one : two);
  }
  for (const j of uniqueBy(jobs, (x) => x.name)) objects.push(objectOf(jobYaml(j), root));
  return { objects, revisions };
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (seen.has(key(item))) return false;
    seen.add(key(item));
    return true;
  });
}

// Starts each slot's instance as a real process of its revision, then ends it as the slot says.
// Returns how many programs it started.
async function makeObserved(executor: Executor, processes: readonly ProcessParts[], desired: Desired, root: string): Promise<number> {
  let started = 0;
  const ends: { object: ObjectKey; id: string }[] = [];
  for (const p of uniqueBy(processes, (x) => x.name)) {
    const revisions = desired.revisions.get(p.name);
    if (!revisions) continue;
    for (const [replica, slot] of p.slots.entries()) {
      const object = revisions[slot.revision - 1] ?? revisions[0];
      const id = `${p.name}-${replica}`;
      if (slot.end === 'exit0' || slot.end === 'exit1') writeFileSync(join(root, `${id}.exit`), slot.end === 'exit0' ? '0' : '1');
      const result = await executor.apply(startOf(object, replica));
      assert.ok(result.ok && result.instance, `pre-state start of ${id}`);
      started++;
      if (slot.end === 'killed') process.kill(result.instance.pid, 'SIGKILL');
      if (slot.end !== 'running') ends.push({ object: object.key, id });
    }
  }
  const observed = async (): Promise<Observed> => executor.observe();
  for (const { object, id } of ends) {
    await waitForAsync(`${id} to end before the pass`, async () => (await observed()).get(object)?.find((i) => i.id === id)?.state === 'exited');
  }
  // The pass's starts run the revision's program, which must not find an exit file.
  for (const { id } of ends) rmSync(join(root, `${id}.exit`), { force: true });
  return started;
}

function startOf(object: ProcessObject, replica: number): StartAction {
  return {
    type: 'start',
    object: object.key,
    instance: `${object.name}-${replica}`,
    reason: 'Create',
    message: 'the observed state before the pass',
    replica,
    spec: object.spec,
    specHash: object.specHash,
    generation: 1,
    backoffAttempt: 0,
    countsAsRestart: false,
  };
}

async function waitForAsync(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface PassRecord {
  readonly shown: readonly Action[];
  readonly done: readonly Action[];
  readonly applied: readonly ActionResult[];
  /** What the executor observed right after the first pass. */
  readonly after: Observed;
}

// Plans the world as `tend diff` does, then lets a held controller run it: its first pass.
async function onePass(executor: Executor, objects: readonly ManifestObject[]): Promise<PassRecord> {
  const applied: ActionResult[] = [];
  const recording: Executor = {
    observe: () => executor.observe(),
    subscribe: (listener) => executor.subscribe(listener),
    adopt: (records) => executor.adopt(records),
    snapshot: () => executor.snapshot(),
    close: () => executor.close(),
    // Kept in the order the controller hands actions in (independent starts run together and
    // may end in any order).
    async apply(action) {
      const slot = applied.push(undefined as unknown as ActionResult) - 1;
      const result = await executor.apply(action);
      applied[slot] = result;
      return result;
    },
  };
  const errors: unknown[] = [];
  let first: { plans: readonly KeyPlan[]; applied: number; after: Promise<Observed> } | undefined;
  // The pass plans at the moment the dry run planned at (its timers are real): the comparison is
  // of two plans of one moment, as `tend diff` and the next pass would be within a millisecond.
  const moment = systemClock.now();
  const clock: Clock = { now: () => moment, after: (ms, fn, ref) => systemClock.after(ms, fn, ref) };
  const controller = createController({
    executor: recording,
    clock,
    events: { record: () => undefined },
    pruneGraceMs: 300,
    machine: MACHINE,
    held: true,
    onError: (_key, error) => errors.push(error),
    onPass: (plans) => (first ??= { plans, applied: applied.length, after: executor.observe() }),
  });
  try {
    const files: FileOutcome[] = [{ file: 'all.yaml', ok: true, empty: false, objects }];
    controller.applyLoad(files, 'r');
    const shown = actionsOf(planAll(planWorld({ objects: controller.desired().objects, observed: await executor.observe(), history: controller.history(), now: moment, machine: MACHINE })));
    await controller.enqueueAll();
    controller.release();
    await waitForAsync('the first pass', () => Promise.resolve(first !== undefined));
    assert.deepEqual(errors, []);
    const pass = first as NonNullable<typeof first>;
    return { shown, done: actionsOf(pass.plans), applied: applied.slice(0, pass.applied), after: await pass.after };
  } finally {
    // Later passes may be applying a start: closed, the controller finishes it and starts nothing more.
    controller.close();
    await controller.idle();
  }
}

async function checkEffects(record: PassRecord): Promise<void> {
  for (const result of record.applied) {
    assert.ok(result.ok, `${byKey(result.action)} failed: ${result.ok ? '' : result.message}`);
    const { action } = result;
    const instance = record.after.get(action.object)?.find((i) => i.id === action.instance);
    if (action.type === 'start') {
      assert.ok(instance && instance.state === 'running' && alive(instance.pid), `${action.instance} runs after its start`);
      assert.equal(instance.specHash, action.specHash, `${action.instance} runs the planned revision`);
    } else if (action.type === 'stop' && result.outcome === 'stopping') {
      const pid = result.instance?.pid ?? 0;
      await waitFor(`${action.instance} (pid ${pid}) to be gone after its stop`, () => !alive(pid));
    }
  }
}

async function cleanUp(executor: Executor, root: string, stateDir: string): Promise<void> {
  const stateId = stateIdOf(stateDir);
  await waitFor('every process of the run to end', () => {
    for (const instance of executor.snapshot()) if (instance.state !== 'exited') killGroup(instance.pid);
    const left = markedPids(stateId);
    for (const pid of left) killGroup(pid);
    return left.length === 0;
  });
  await executor.close();
  await removeWorld(root, stateDir);
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

test(`one real pass through the local executor does what the dry run shows (seed ${seed}, ${RUNS} runs)`, { timeout: 180_000 }, async () => {
  const started = Date.now();
  let runs = 0;
  const tally = { before: 0, starts: 0, stops: 0, waits: 0 };
  await fc.assert(
    fc.asyncProperty(fc.array(processArb, { minLength: 1, maxLength: 3 }), fc.array(jobArb, { maxLength: 2 }), fc.constantFrom(1, 2, 4), async (processes, jobs, cpu) => {
      runs++;
      const root = mkdtempSync(join(tmpdir(), 'tend-truth-'));
      const stateDir = join(root, 'state');
      const executor = createLocalExecutor({ stateDir, stateId: stateIdOf(stateDir), clock: systemClock, cutAbandonedHooks: true });
      try {
        const desired = desiredOf(processes, jobs, cpu, root);
        tally.before += await makeObserved(executor, processes, desired, root);
        const record = await onePass(executor, desired.objects);
        for (const a of record.shown) tally[a.type === 'start' ? 'starts' : a.type === 'stop' ? 'stops' : 'waits']++;
        assert.deepEqual(sorted(record.done), sorted(record.shown), 'the pass planned what the dry run shows');
        const work = record.shown.filter((a) => a.type !== 'wait');
        assert.deepEqual(sorted(record.applied.map((r) => r.action)), sorted(work), 'the executor got exactly the non-wait actions');
        for (const key of new Set(work.map((a) => a.object))) {
          const ofKey = (actions: readonly Action[]): string[] => actions.filter((a) => a.object === key).map(byKey);
          assert.deepEqual(ofKey(record.applied.map((r) => r.action)), ofKey(work), `${key}'s actions in the planned order`);
        }
        await checkEffects(record);
      } finally {
        await cleanUp(executor, root, stateDir);
      }
    }),
    // A failing run is reported as found: shrinking would start hundreds of programs more.
    { seed, numRuns: RUNS, endOnFailure: true },
  );
  const { before, starts, stops, waits } = tally;
  process.stderr.write(`plan truth through the local executor: ${runs} runs in ${Date.now() - started} ms (seed ${seed}): ${before} programs started before the passes; the passes planned ${starts} starts, ${stops} stops, ${waits} waits\n`);
});
