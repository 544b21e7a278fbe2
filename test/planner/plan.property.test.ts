/**
 * Planner properties against a tiny fake world: random objects, instances (running, stopping,
 * exited in any way), histories (overrides, `tend restart`, restart counts) and times. The fake
 * applies each action at once, lets stopping instances exit before the next pass, and advances
 * the clock to the plan's next wake when only waits remain. Started programs never crash.
 *
 * Invariants (fast-check; the seed is logged, set FC_SEED to replay):
 * 1. every plan names each instance at most once;
 * 2. nothing undesired starts: every start/restart is for a desired Process, a slot below its
 *    replicas, not stopped by the user, with the desired spec and specHash;
 * 3. nothing desired is forgotten: `forget` only for pruned objects and slots beyond replicas;
 * 4. an applied start or stop is never asked again in the next pass (but a stopped instance's
 *    record is forgotten in the pass that sees its exit);
 * 5. applying plans converges within a few passes to an empty plan, and the converged world has
 *    no instance of a pruned object or beyond replicas, no running instance of a user-stopped
 *    object, and every running instance runs the current spec and started after `tend restart`,
 *    unless a RollingUpdate is halted by a current instance that failed for good.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Action, Plan } from '../../src/model/action.ts';
import type { History, ObjectHistory } from '../../src/model/history.ts';
import type { ExitInfo, InstanceState, ObservedInstance } from '../../src/model/instance.ts';
import type { ObjectKey, ProcessObject, ProcessSpec } from '../../src/model/object.ts';
import { isUserStopped } from '../../src/planner/override.ts';
import { isFailedExit } from '../../src/planner/restart-policy.ts';
import { nextWake } from '../../src/planner/phase.ts';
import { plan } from '../../src/planner/plan-key.ts';
import { NOW, SPEC, processObject, running } from './fixtures.ts';

interface World {
  objects: Map<ObjectKey, ProcessObject>;
  instances: Map<string, ObservedInstance>;
  history: Map<ObjectKey, ObjectHistory>;
  now: number;
}

const NAMES = ['a', 'b', 'c'] as const;

const specArb: fc.Arbitrary<Partial<ProcessSpec>> = fc.record({
  replicas: fc.integer({ min: 0, max: 3 }),
  restartPolicy: fc.constantFrom('Always', 'OnFailure', 'Never', 'UnlessStopped'),
  maxRestarts: fc.integer({ min: 0, max: 3 }),
  backoff: fc.record({
    strategy: fc.constantFrom('fixed', 'linear', 'exponential'),
    initialDelayMs: fc.integer({ min: 0, max: 2000 }),
    maxDelayMs: fc.integer({ min: 0, max: 10_000 }),
    multiplier: fc.constantFrom(1, 1.5, 2),
    jitter: fc.constantFrom(0, 0.2),
    resetAfterMs: fc.integer({ min: 0, max: 5000 }),
  }),
  updateStrategy: fc.record({
    type: fc.constantFrom('RollingUpdate', 'Recreate'),
    maxUnavailable: fc.integer({ min: 0, max: 2 }),
    maxSurge: fc.integer({ min: 0, max: 1 }),
  }),
});

const exitArb: fc.Arbitrary<ExitInfo> = fc.record({
  code: fc.constantFrom(0, 1, null),
  signal: fc.constantFrom(null, 'SIGKILL'),
  at: fc.integer({ min: NOW - 10_000, max: NOW }),
  reason: fc.constantFrom('Exited', 'Lost', 'SpawnError'),
  requested: fc.boolean(),
});

const instanceArb = fc.record({
  state: fc.constantFrom<InstanceState>('running', 'stopping', 'exited'),
  specHash: fc.constantFrom('h1', 'h2'),
  startedAt: fc.integer({ min: NOW - 20_000, max: NOW - 10_001 }),
  exit: exitArb,
});

const historyArb = fc.record({
  generation: fc.integer({ min: 1, max: 2 }),
  override: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
  restartRequestedAt: fc.option(fc.integer({ min: NOW - 20_000, max: NOW }), { nil: undefined }),
  restarts: fc.integer({ min: 0, max: 4 }),
  backoffAttempt: fc.integer({ min: 0, max: 4 }),
});

const objectArb = fc.record({
  desired: fc.option(fc.tuple(specArb, fc.constantFrom('h1', 'h2')), { nil: undefined }),
  slots: fc.array(fc.option(instanceArb, { nil: undefined }), { maxLength: 5 }),
  history: fc.option(historyArb, { nil: undefined }),
});

const worldArb = fc.tuple(objectArb, objectArb, objectArb);

// A fresh world per run: the fake mutates it.
function buildWorld(parts: readonly ObjectParts[]): World {
  const world: World = { objects: new Map(), instances: new Map(), history: new Map(), now: NOW };
  parts.forEach((part, n) => {
    const name = NAMES[n] ?? 'x';
    const key = `process/${name}`;
    if (part.desired) world.objects.set(key, processObject(name, part.desired[0], part.desired[1]));
    part.slots.forEach((slot, replica) => {
      if (!slot) return;
      const exit = slot.state === 'exited' ? { exit: slot.exit } : {};
      world.instances.set(`${name}-${replica}`, running(replica, { specHash: slot.specHash, startedAt: slot.startedAt, state: slot.state, ...exit }, name));
    });
    if (part.history) world.history.set(key, toHistory(part.history));
  });
  return world;
}

type ObjectParts = typeof objectArb extends fc.Arbitrary<infer T> ? T : never;

function toHistory(h: typeof historyArb extends fc.Arbitrary<infer T> ? T : never): ObjectHistory {
  const slots = { 0: { restarts: h.restarts, backoffAttempt: h.backoffAttempt }, 1: { restarts: h.backoffAttempt, backoffAttempt: h.restarts } };
  const override = h.override === undefined ? {} : { override: { type: 'stopped' as const, at: NOW, generation: h.override } };
  const restart = h.restartRequestedAt === undefined ? {} : { restartRequestedAt: h.restartRequestedAt };
  return { generation: h.generation, contentHash: '', slots, ...override, ...restart };
}

function planWorld(world: World): Plan {
  const observed = new Map<ObjectKey, ObservedInstance[]>();
  for (const i of world.instances.values()) observed.set(i.object, [...(observed.get(i.object) ?? []), i]);
  for (const list of observed.values()) list.sort((x, y) => x.replica - y.replica);
  const history: History = world.history;
  return plan({ desired: { objects: world.objects, revision: 'r' }, observed, history, now: world.now });
}

// Applies one action the way the executor and the controller's store would.
function apply(world: World, action: Action, forgetting: Set<string>): void {
  const current = world.instances.get(action.instance);
  if (action.type === 'start') {
    const started = running(action.replica, { id: action.instance, specHash: action.specHash, generation: action.generation, startedAt: world.now }, action.object.slice('process/'.length));
    world.instances.set(action.instance, started);
    recordStart(world, action.object, action.replica, action);
  } else if (action.type === 'stop' && current !== undefined) {
    if (current.state === 'exited') {
      if (action.forget) world.instances.delete(action.instance);
    } else {
      world.instances.set(action.instance, { ...current, state: 'stopping', stopReason: action.reason });
      if (action.forget) forgetting.add(action.instance);
    }
  }
}

function recordStart(world: World, key: ObjectKey, replica: number, count: { backoffAttempt: number; countsAsRestart: boolean }): void {
  const h = world.history.get(key) ?? { generation: 1, contentHash: '', slots: {} };
  const restarts = (h.slots[replica]?.restarts ?? 0) + (count.countsAsRestart ? 1 : 0);
  world.history.set(key, { ...h, slots: { ...h.slots, [replica]: { restarts, backoffAttempt: count.backoffAttempt } } });
}

// Every stopping instance exits (as requested) before the next pass.
function settle(world: World, forgetting: Set<string>): void {
  for (const [id, i] of world.instances) {
    if (i.state !== 'stopping') continue;
    if (forgetting.has(id)) world.instances.delete(id);
    else world.instances.set(id, { ...i, state: 'exited', exit: { code: null, signal: 'SIGTERM', at: world.now, reason: 'Exited', requested: true } });
  }
}

function checkPass(world: World, actions: Plan, previous: Plan): void {
  const ids = actions.map((a) => `${a.object} ${a.instance}`);
  assert.equal(new Set(ids).size, ids.length, `one action per instance: ${ids.join(', ')}`);
  for (const a of actions) {
    const object = world.objects.get(a.object);
    if (a.type === 'start') {
      assert.ok(object, `${a.instance} starts for an undesired object`);
      assert.ok(a.replica < object.spec.replicas && !isUserStopped(object, world.history.get(a.object)), `${a.instance} should not start`);
      assert.ok(a.spec === object.spec && a.specHash === object.specHash, `${a.instance} starts the desired spec`);
    }
    const replica = world.instances.get(a.instance)?.replica ?? -1;
    // Forgotten: a slot gone, or an instance whose slot another live one holds (a surge).
    const shadowed = [...world.instances.values()].some((o) => o.object === a.object && o.id !== a.instance && o.replica === replica && o.state !== 'exited');
    if (a.type === 'stop' && a.forget) assert.ok(!object || replica >= object.spec.replicas || shadowed, `${a.instance} forgotten`);
    if (a.type === 'wait') assert.ok(a.until > world.now, 'waits lie in the future');
    const forgetting = a.type === 'stop' && world.instances.get(a.instance)?.state === 'exited';
    const again = forgetting ? undefined : previous.find((p) => p.type !== 'wait' && p.type === a.type && p.instance === a.instance && p.object === a.object);
    assert.equal(again, undefined, `${a.type} ${a.instance} asked twice in a row`);
  }
}

function checkConverged(world: World): void {
  for (const i of world.instances.values()) {
    const object = world.objects.get(i.object);
    assert.ok(object && i.replica < object.spec.replicas, `${i.id} should be gone`);
    if (i.state !== 'running') continue;
    const h = world.history.get(i.object);
    assert.ok(!isUserStopped(object, h), `${i.id} runs although stopped by the user`);
    if (rolloutHalted(world, object)) continue;
    assert.equal(i.specHash, object.specHash, `${i.id} runs an outdated spec`);
    assert.ok(i.startedAt >= (h?.restartRequestedAt ?? 0), `${i.id} was not restarted`);
  }
}

// A RollingUpdate halts while a current instance in a desired slot has failed for good.
function rolloutHalted(world: World, object: ProcessObject): boolean {
  if (object.spec.updateStrategy.type !== 'RollingUpdate') return false;
  return [...world.instances.values()].some(
    (i) => i.object === object.key && i.replica < object.spec.replicas && i.specHash === object.specHash && i.exit !== undefined && !i.exit.requested && isFailedExit(i.exit),
  );
}

// Plans and applies until the plan is empty; returns the number of passes.
function converge(world: World): number {
  let previous: Plan = [];
  for (let pass = 1; pass <= 30; pass++) {
    const actions = planWorld(world);
    checkPass(world, actions, previous);
    const stopping = [...world.instances.values()].some((i) => i.state === 'stopping');
    if (actions.length === 0 && !stopping) return pass;
    const forgetting = new Set<string>();
    for (const a of actions) apply(world, a, forgetting);
    settle(world, forgetting);
    const onlyWaits = actions.every((a) => a.type === 'wait');
    world.now = onlyWaits ? (nextWake(actions) ?? world.now + 1) : world.now + 1;
    previous = actions;
  }
  assert.fail('no convergence within 30 passes');
}

void describe('plan properties', () => {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

  void it('converges with every pass well-formed', (t) => {
    t.diagnostic(`fast-check seed ${seed}`);
    fc.assert(
      fc.property(worldArb, (parts) => {
        const world = buildWorld(parts);
        converge(world);
        checkConverged(world);
      }),
      { seed, numRuns: 1000 },
    );
  });

  void it('plans 10,000 unchanged objects to nothing', () => {
    const world: World = { objects: new Map(), instances: new Map(), history: new Map(), now: NOW };
    for (let n = 0; n < 10_000; n++) {
      const name = `p${n}`;
      world.objects.set(`process/${name}`, processObject(name, { ...SPEC, replicas: 1 }, 'h1'));
      world.instances.set(`${name}-0`, running(0, { specHash: 'h1' }, name));
      world.history.set(`process/${name}`, { generation: 1, contentHash: '', slots: {} });
    }
    assert.deepEqual(planWorld(world), []);
  });
});
