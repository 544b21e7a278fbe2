/**
 * Planner test fixtures: a base world (process/web, 2 replicas, both running the current spec),
 * mutators that each change one thing, and builders of the actions a test expects, written
 * independently of src/planner so a test does not re-use the code it checks.
 */
import type { Action, ActionReason, Plan, StartAction } from '../../src/model/action.ts';
import type { ObjectHistory } from '../../src/model/history.ts';
import type { ExitInfo, ObservedInstance } from '../../src/model/instance.ts';
import type { DesiredState, ManifestObject, ObjectKey, ProcessObject, ProcessSpec, StopPolicy } from '../../src/model/object.ts';
import type { PlanInput } from '../../src/planner/plan.ts';

/** Key of the object most cases are about. */
export const KEY = 'process/web';
/** The time of every case unless a mutator moves it. */
export const NOW = 1_000_000;
/** specHash of the desired web spec, and of an older one. */
export const HASH = 'h-current';
export const OLD_HASH = 'h-old';

/** A normalised spec with every default filled in. */
export const SPEC: ProcessSpec = {
  command: ['node', 'server.js'],
  shell: false,
  workingDir: '/srv/web',
  env: { PORT: '8080' },
  secretEnv: [],
  replicas: 2,
  restartPolicy: 'Always',
  backoff: { strategy: 'exponential', initialDelayMs: 1000, maxDelayMs: 300_000, multiplier: 2, jitter: 0, resetAfterMs: 600_000 },
  maxRestarts: 0,
  stop: { signal: 'SIGTERM', gracePeriodMs: 10_000 },
  lifecycle: {},
  logs: { maxSizeBytes: 10_485_760, maxFiles: 5 },
  startupTimeoutMs: 30_000,
  probes: {},
  updateStrategy: { type: 'RollingUpdate', maxUnavailable: 1, maxSurge: 0 },
  dependsOn: [],
  priority: 0,
  raw: {},
};

/** A Process object named `name` (key `process/<name>`). */
export function processObject(name = 'web', spec: Partial<ProcessSpec> = {}, specHash = HASH): ProcessObject {
  return {
    kind: 'Process',
    name,
    key: `process/${name}`,
    labels: {},
    source: { file: 'manifests/web.yaml', line: 1, col: 1, uid: 1000, gid: 1000 },
    spec: { ...SPEC, ...spec },
    specHash,
    contentHash: `c-${specHash}`,
  };
}

/** A running instance of process/web (or `name`) in slot `replica`. */
export function running(replica: number, patch: Partial<ObservedInstance> = {}, name = 'web'): ObservedInstance {
  return {
    id: `${name}-${replica}`,
    object: `process/${name}`,
    replica,
    pid: 100 + replica,
    startTicks: 5000,
    specHash: HASH,
    generation: 1,
    startedAt: 1000,
    state: 'running',
    ...patch,
  };
}

/** An exited instance; by default it crashed with code 1 one minute before NOW after a 1 s run. */
export function exited(replica: number, exit: Partial<ExitInfo> = {}, patch: Partial<ObservedInstance> = {}): ObservedInstance {
  const at = exit.at ?? NOW - 60_000;
  const fullExit: ExitInfo = { code: 1, signal: null, reason: 'Exited', requested: false, ...exit, at };
  return running(replica, { startedAt: at - 1000, state: 'exited', exit: fullExit, pid: 0, ...patch });
}

/** One planning situation: process/web plus any other objects. */
export interface Fixture {
  readonly objects: readonly ManifestObject[];
  readonly instances: readonly ObservedInstance[];
  readonly history: Readonly<Record<ObjectKey, ObjectHistory>>;
  readonly now: number;
}

/** process/web, 2 replicas, both running the current spec, generation 1. */
export const BASE: Fixture = {
  objects: [processObject()],
  instances: [running(0), running(1)],
  history: { [KEY]: { generation: 1, contentHash: 'c-h-current', slots: {} } },
  now: NOW,
};

/** Changes one thing about a fixture. */
export type Mutator = (f: Fixture) => Fixture;

/** Changes process/web's spec (and its specHash when given). */
export const withSpec =
  (spec: Partial<ProcessSpec>, specHash = HASH): Mutator =>
  (f) => ({ ...f, objects: f.objects.map((o) => (o.key === KEY ? processObject('web', { ...webSpec(f), ...spec }, specHash) : o)) });

/** Replaces process/web's instances. */
export const withInstances =
  (...instances: ObservedInstance[]): Mutator =>
  (f) => ({ ...f, instances: [...f.instances.filter((i) => i.object !== KEY), ...instances] });

/** Patches process/web's history. */
export const withHistory =
  (patch: Partial<ObjectHistory>): Mutator =>
  (f) => ({ ...f, history: { ...f.history, [KEY]: { ...webHistory(f), ...patch } } });

/** Removes process/web from the manifests. */
export const withoutWeb: Mutator = (f) => ({ ...f, objects: f.objects.filter((o) => o.key !== KEY) });

/** Sets the time. */
export const at =
  (now: number): Mutator =>
  (f) => ({ ...f, now });

function webSpec(f: Fixture): ProcessSpec {
  const web = f.objects.find((o) => o.key === KEY);
  return web?.kind === 'Process' ? (web as ProcessObject).spec : SPEC;
}

function webHistory(f: Fixture): ObjectHistory {
  return f.history[KEY] ?? { generation: 1, contentHash: '', slots: {} };
}

/** The planner's input for a fixture. */
export function toInput(f: Fixture): PlanInput {
  const observed = new Map<ObjectKey, ObservedInstance[]>();
  for (const instance of f.instances) observed.set(instance.object, [...(observed.get(instance.object) ?? []), instance]);
  const desired: DesiredState = { objects: new Map(f.objects.map((o) => [o.key, o])), revision: 'r1' };
  return { desired, observed, history: new Map(Object.entries(f.history)), now: f.now };
}

/** Messages are for humans; tests compare everything else. */
export function blankMessages(plan: Plan): Action[] {
  return plan.map((a) => ({ ...a, message: '' }));
}

/** Builders of the actions expected for process/web in a fixture. */
export function expectFor(f: Fixture) {
  const spec = webSpec(f);
  const specHash = f.objects.find((o) => o.key === KEY)?.specHash ?? HASH;
  const generation = f.history[KEY]?.generation ?? 1;
  const id = (replica: number) => `web-${replica}`;
  return {
    start(replica: number, reason: ActionReason, backoffAttempt = 0, countsAsRestart = false): StartAction {
      const base = { type: 'start', object: KEY, instance: id(replica), reason, message: '', replica } as const;
      return { ...base, spec, specHash, generation, backoffAttempt, countsAsRestart };
    },
    /** A stop of a stale instance, which starts again once its exit is seen. */
    replace(replica: number, reason: ActionReason): Action {
      return { type: 'stop', object: KEY, instance: id(replica), reason, message: '', forget: false, stop: spec.stop, program: spec };
    },
    /** A stop of the desired object names its program; pass `stop` for one that does not (prune). */
    stop(replica: number, reason: ActionReason, forget: boolean, stop?: StopPolicy): Action {
      const base = { type: 'stop', object: KEY, instance: id(replica), reason, message: '', forget } as const;
      return stop === undefined ? { ...base, stop: spec.stop, program: spec } : { ...base, stop };
    },
    wait(replica: number, until: number): Action {
      return { type: 'wait', object: KEY, instance: id(replica), reason: 'CrashLoopBackOff', message: '', until };
    },
  };
}

/** The builders handed to each case's `expected`. */
export type Expect = ReturnType<typeof expectFor>;
