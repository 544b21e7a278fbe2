/**
 * `schedule()` properties over random job mixes, applied to a small simulated machine where
 * running units finish after a while and new ones keep arriving.
 *
 * Invariants (fast-check; the seed is logged, set FC_SEED to replay):
 * 1. admitted work never exceeds capacity: after every decision, running requests (and the memory
 *    of suspended units) sum to at most the capacity on every resource, and running jobs to at
 *    most `maxConcurrentJobs`;
 * 2. every unit is listed once at most, and every pending or suspended unit is either placed or
 *    waiting with a non-empty reason;
 * 3. without time slicing, a waiting unit is never of higher effective priority than a unit placed
 *    in the same decision if it would have fit in that unit's place (unless that place was made by
 *    evicting units the waiter may not evict: those started at an effective priority at or above its
 *    base priority, since aging orders the queue but does not evict), and unless it needs what the
 *    first waiting unit that could fit on an empty machine lacks (that unit holds it);
 * 4. with aging on, every unit is eventually admitted under a steady stream of higher-priority
 *    arrivals (bounded simulation);
 * 5. a pass over 10,000 pending units (with or without victims to choose from) keeps 1-3.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { effectivePriority } from '../../src/scheduler/priority.ts';
import { schedule } from '../../src/scheduler/schedule.ts';
import type { Decision, SchedulableUnit, SchedulingPolicy } from '../../src/scheduler/types.ts';
import { applyDecision, unit } from './fixtures.ts';

const EPSILON = 1e-9;
const STEP = 1000;

const requestsArb = fc.record(
  { cpu: fc.constantFrom(0.1, 0.5, 1, 2, 3), memory: fc.integer({ min: 0, max: 8 }), licenses: fc.integer({ min: 0, max: 2 }) },
  { requiredKeys: [] },
);

const arrivalArb = fc.record({
  requests: requestsArb,
  priority: fc.constantFrom(0, 10, 20, 30, 40, 25),
  preemptible: fc.boolean(),
  preemption: fc.constantFrom('suspend' as const, 'requeue' as const),
  countsTowardMaxJobs: fc.boolean(),
  steps: fc.integer({ min: 1, max: 4 }),
});

type Arrival = typeof arrivalArb extends fc.Arbitrary<infer T> ? T : never;

const policyArb: fc.Arbitrary<SchedulingPolicy> = fc.record({
  capacity: fc.record({ cpu: fc.constantFrom(1, 2, 4), memory: fc.constantFrom(4, 8, 16), licenses: fc.constantFrom(1, 3) }),
  maxConcurrentJobs: fc.integer({ min: 1, max: 4 }),
  preemption: fc.boolean(),
  aging: fc.record({ everyMs: fc.constantFrom(STEP, 3 * STEP), boost: fc.constantFrom(1, 5) }),
  timeSliceMs: fc.constantFrom(0, 0, STEP, 2 * STEP),
}, { requiredKeys: ['capacity', 'preemption', 'timeSliceMs'] });

function seedOf(t: { diagnostic: (m: string) => void }): number {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  t.diagnostic(`fast-check seed ${seed}`);
  return seed;
}

/** Invariant 1 over the units after a decision was applied; suspended units keep their memory. */
function assertWithinCapacity(policy: SchedulingPolicy, units: readonly SchedulableUnit[]): void {
  const free = freeOf(policy, units);
  for (const name of Object.keys(policy.capacity)) assert.ok((free[name] ?? 0) >= -EPSILON, `${name} over capacity by ${-(free[name] ?? 0)}`);
  assert.ok((free.jobs ?? 0) >= 0, 'too many jobs');
}

/** Invariant 2: each id once, every queued unit accounted for. */
function assertAccounted(units: readonly SchedulableUnit[], d: Decision): void {
  const ids = [...d.admit, ...d.resume, ...d.preempt.map((p) => p.id), ...d.waiting.map((w) => w.id)];
  assert.equal(new Set(ids).size, ids.length, 'an id listed twice');
  const queued = units.filter((u) => u.state !== 'running').map((u) => u.id);
  const placedOrWaiting = new Set([...d.admit, ...d.resume, ...d.waiting.map((w) => w.id)]);
  assert.ok(queued.every((id) => placedOrWaiting.has(id)), 'a queued unit is missing');
  assert.ok(d.waiting.every((w) => w.reason !== ''), 'a waiting unit without a reason');
}

/** Invariant 3: `after` is the world with `d` applied. */
function assertNoPriorityInversion(input: { policy: SchedulingPolicy; units: readonly SchedulableUnit[]; now: number }, d: Decision, after: readonly SchedulableUnit[]): void {
  const byId = new Map(input.units.map((u) => [u.id, u]));
  const free = freeOf(input.policy, after);
  const waiters = d.waiting.map((w) => byId.get(w.id)).filter((u) => u !== undefined);
  const holder = waiters.findIndex((u) => fitsInPlaceOf(input.policy, { ...input.policy.capacity, jobs: input.policy.maxConcurrentJobs ?? Infinity }, u, undefined));
  const held = holder < 0 ? [] : lacking(input.policy, free, waiters[holder]);
  for (const placedId of [...d.admit, ...d.resume]) {
    const placed = byId.get(placedId);
    if (placed === undefined) continue;
    waiters.forEach((waiter, i) => {
      if (effectivePriority(waiter, input.policy, input.now) <= effectivePriority(placed, input.policy, input.now)) return;
      if (evictedFor(d, placedId).some((v) => startedRank(input.policy, byId.get(v)) >= waiter.priority)) return;
      if (holder >= 0 && i > holder && (d.preempt.length > 0 || held.some((n) => (waiter.requests[n] ?? (n === 'jobs' && waiter.countsTowardMaxJobs ? 1 : 0)) > 0))) return;
      assert.ok(!fitsInPlaceOf(input.policy, free, waiter, placed), `${waiter.id} waits while lower ${placedId} was placed`);
    });
  }
}

// The resources (and `jobs`) that `u` lacks in `free`: what the first waiting unit holds on to.
function lacking(policy: SchedulingPolicy, free: Record<string, number>, u: SchedulableUnit | undefined): string[] {
  if (u === undefined) return [];
  const names = Object.keys(policy.capacity).filter((n) => (u.requests[n] ?? 0) - held(u, n) > (free[n] ?? 0) + EPSILON);
  return u.countsTowardMaxJobs && (free.jobs ?? 0) < 1 ? [...names, 'jobs'] : names;
}

// A running unit's rank as a victim: its effective priority when it was started.
function startedRank(policy: SchedulingPolicy, u: SchedulableUnit | undefined): number {
  return u === undefined ? -Infinity : effectivePriority(u, policy, u.startedAt ?? 0);
}

// Victims evicted to place `id`.
function evictedFor(d: Decision, id: string): string[] {
  return d.preempt.filter((p) => p.by === id).map((p) => p.id);
}

function freeOf(policy: SchedulingPolicy, units: readonly SchedulableUnit[]): Record<string, number> {
  const free: Record<string, number> = { ...policy.capacity, jobs: policy.maxConcurrentJobs ?? Infinity };
  for (const u of units) {
    for (const name of Object.keys(policy.capacity)) free[name] = (free[name] ?? 0) - held(u, name);
    if (u.state === 'running' && u.countsTowardMaxJobs) free.jobs = (free.jobs ?? 0) - 1;
  }
  return free;
}

// What `u` occupies of `name` in its state: all while running, only memory while suspended.
function held(u: SchedulableUnit, name: string): number {
  if (u.state === 'running' || (u.state === 'suspended' && name === 'memory')) return u.requests[name] ?? 0;
  return 0;
}

// Whether `waiter` would fit if `placed` (if any) had stayed as it was; both in their states before the decision.
function fitsInPlaceOf(policy: SchedulingPolicy, free: Record<string, number>, waiter: SchedulableUnit, placed: SchedulableUnit | undefined): boolean {
  const names = Object.keys(policy.capacity);
  const need = (n: string): number => (waiter.requests[n] ?? 0) - held(waiter, n);
  const place = (n: string): number => (placed === undefined ? 0 : (placed.requests[n] ?? 0) - held(placed, n));
  const resourcesFit = names.every((n) => need(n) <= (free[n] ?? 0) + place(n) + EPSILON);
  const slot = (free.jobs ?? 0) + (placed?.countsTowardMaxJobs === true ? 1 : 0);
  return resourcesFit && (!waiter.countsTowardMaxJobs || slot >= 1);
}

interface Sim {
  units: SchedulableUnit[];
  /** How long each unit runs once started; a suspended or requeued unit starts its run over. */
  readonly runFor: Map<string, number>;
  readonly finishAt: Map<string, number>;
}

// One simulated step: finish due units, add arrivals, schedule, check, apply.
function step(sim: Sim, policy: SchedulingPolicy, now: number, arrivals: readonly Arrival[]): Decision {
  sim.units = sim.units.filter((u) => !(u.state === 'running' && (sim.finishAt.get(u.id) ?? Infinity) <= now));
  arrivals.forEach((a, i) => {
    const id = `u${now}-${i}`;
    sim.units.push(unit(id, { ...a, arrivedAt: now }));
    sim.runFor.set(id, a.steps * STEP);
  });
  const input = { policy, units: sim.units, now };
  const d = schedule(input);
  assertAccounted(sim.units, d);
  const after = sim.units.map((u) => applyDecision(u, d, now));
  if (policy.timeSliceMs === 0) assertNoPriorityInversion(input, d, after);
  assertWithinCapacity(policy, after);
  for (const id of [...d.admit, ...d.resume]) sim.finishAt.set(id, now + (sim.runFor.get(id) ?? STEP));
  sim.units = after;
  return d;
}

void describe('schedule properties', () => {
  void it('keeps capacity, accounts for every unit and never inverts priority (1-3)', (t) => {
    fc.assert(
      fc.property(policyArb, fc.array(fc.array(arrivalArb, { maxLength: 4 }), { minLength: 1, maxLength: 12 }), (policy, waves) => {
        const sim: Sim = { units: [], runFor: new Map(), finishAt: new Map() };
        waves.forEach((arrivals, i) => step(sim, policy, (i + 1) * STEP, arrivals));
      }),
      { seed: seedOf(t), numRuns: 500 },
    );
  });

  void it('with aging, the first units are all admitted under a stream of higher ones (4)', (t) => {
    const streamArb = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 300, maxLength: 300 });
    fc.assert(
      fc.property(policyArb, fc.array(arrivalArb, { minLength: 1, maxLength: 5 }), streamArb, (p, first, stream) => {
        const policy = { ...p, capacity: { cpu: 4, memory: 16, licenses: 3 }, aging: { everyMs: STEP, boost: 1 } };
        const sim: Sim = { units: [], runFor: new Map(), finishAt: new Map() };
        const started = new Set<string>();
        const high: Arrival = { requests: { cpu: 2 }, priority: 40, preemptible: false, preemption: 'suspend', countsTowardMaxJobs: true, steps: 2 };
        stream.forEach((n, i) => {
          const d = step(sim, policy, (i + 1) * STEP, i === 0 ? first.map((a) => ({ ...a, priority: 0 })) : new Array<Arrival>(n).fill(high));
          for (const id of [...d.admit, ...d.resume]) started.add(id);
        });
        const firstIds = first.map((_, i) => `u${STEP}-${i}`);
        assert.deepEqual(firstIds.filter((id) => !started.has(id)), []);
      }),
      { seed: seedOf(t), numRuns: 25 },
    );
  });
});

void describe('schedule at scale (5)', () => {
  const many = (n: number, state: 'pending' | 'running'): SchedulableUnit[] =>
    Array.from({ length: n }, (_, i) => unit(`${state}-${i}`, {
      state,
      priority: (i * 7) % 41,
      arrivedAt: i,
      requests: { cpu: 0.25 + (i % 4) * 0.25, memory: (i % 5) + 1 },
      ...(state === 'running' ? { startedAt: i, priority: (i * 3) % 20 } : {}),
    }));
  const policy: SchedulingPolicy = { capacity: { cpu: 64, memory: 400 }, maxConcurrentJobs: 150, preemption: true, timeSliceMs: 0, aging: { everyMs: 60_000, boost: 1 } };
  for (const running of [0, 100]) {
    void it(`10,000 pending units, ${running} running lower ones`, () => {
      const units = [...many(running, 'running'), ...many(10_000, 'pending')];
      const input = { policy, units, now: 120_000 };
      const d = schedule(input);
      const after = units.map((u) => applyDecision(u, d, input.now));
      assertAccounted(units, d);
      assertWithinCapacity(policy, after);
      assertNoPriorityInversion(input, d, after);
      assert.ok(d.admit.length > 0);
      assert.equal(d.admit.length + d.waiting.length, 10_000);
    });
  }
});
