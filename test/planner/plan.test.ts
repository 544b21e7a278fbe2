/**
 * Table-driven planner tests: each case applies mutators to the base fixture (process/web with
 * two running replicas) and compares the WHOLE plan, messages blanked, with the expected one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Action } from '../../src/model/action.ts';
import type { ExitInfo } from '../../src/model/instance.ts';
import type { RestartPolicy } from '../../src/model/object.ts';
import { plan } from '../../src/planner/plan-key.ts';
import type { Expect, Fixture, Mutator } from './fixtures.ts';
import {
  BASE,
  KEY,
  NOW,
  OLD_HASH,
  SPEC,
  at,
  blankMessages,
  exited,
  expectFor,
  running,
  toInput,
  withHistory,
  withInstances,
  withSpec,
  withoutWeb,
} from './fixtures.ts';

interface Case {
  readonly name: string;
  readonly mutate: readonly Mutator[];
  readonly expected: (e: Expect) => Action[];
}

function run(cases: readonly Case[]): void {
  for (const c of cases) {
    void it(c.name, () => {
      const fixture = c.mutate.reduce<Fixture>((f, m) => m(f), BASE);
      assert.deepEqual(blankMessages(plan(toInput(fixture))), c.expected(expectFor(fixture)));
    });
  }
}

const EXITS: Readonly<Record<string, Partial<ExitInfo>>> = {
  'exit 0': { code: 0 },
  'exit 1': { code: 1 },
  SIGKILL: { code: null, signal: 'SIGKILL' },
  Lost: { code: null, reason: 'Lost' },
  SpawnError: { code: null, reason: 'SpawnError' },
};

const PRUNE = { signal: 'SIGTERM', gracePeriodMs: 10_000 };

// Whether each policy restarts after each kind of exit.
const RESTARTS: Readonly<Record<RestartPolicy, readonly string[]>> = {
  Always: ['exit 0', 'exit 1', 'SIGKILL', 'Lost', 'SpawnError'],
  UnlessStopped: ['exit 0', 'exit 1', 'SIGKILL', 'Lost', 'SpawnError'],
  OnFailure: ['exit 1', 'SIGKILL', 'Lost', 'SpawnError'],
  Never: [],
};

void describe('plan: steady state', () => {
  run([
    { name: 'nothing to do when every replica runs the current spec', mutate: [], expected: () => [] },
    { name: 'a stopping instance is left to finish', mutate: [withInstances(running(0), running(1, { state: 'stopping' }))], expected: () => [] },
    {
      name: 'a label-only change restarts nothing',
      mutate: [
        (f) => ({ ...f, objects: f.objects.map((o) => ({ ...o, labels: { app: 'shop' }, contentHash: 'c-2' })) }),
        withHistory({ generation: 2, contentHash: 'c-2' }),
      ],
      expected: () => [],
    },
    {
      name: 'non-Process kinds are ignored',
      mutate: [(f) => ({ ...f, objects: [...f.objects, { ...f.objects[0]!, kind: 'Job', name: 'backup', key: 'job/backup', spec: {} }] })],
      expected: () => [],
    },
  ]);
});

void describe('plan: restart policy after an unrequested exit', () => {
  const cases: Case[] = [];
  for (const [policy, restarting] of Object.entries(RESTARTS)) {
    for (const [exitName, exit] of Object.entries(EXITS)) {
      const restarts = restarting.includes(exitName);
      cases.push({
        name: `${policy} × ${exitName} → ${restarts ? 'restart' : 'stays'}`,
        mutate: [withSpec({ restartPolicy: policy as RestartPolicy }), withInstances(running(0), exited(1, exit))],
        expected: (e) => (restarts ? [e.start(1, 'RestartPolicy', 1, true)] : []),
      });
    }
  }
  run(cases);
});

void describe('plan: backoff', () => {
  const exitAt = NOW - 10_000;
  const crashed = exited(1, { at: exitAt });
  const attempt2 = withHistory({ slots: { 1: { restarts: 2, backoffAttempt: 2 } } });
  run([
    { name: 'waits for the delay (attempt 2: 4 s)', mutate: [withInstances(running(0), crashed), attempt2, at(exitAt + 3999)], expected: (e) => [e.wait(1, exitAt + 4000)] },
    { name: 'starts once the delay is over', mutate: [withInstances(running(0), crashed), attempt2, at(exitAt + 4000)], expected: (e) => [e.start(1, 'RestartPolicy', 3, true)] },
    {
      name: 'a run of resetAfter resets the attempt',
      mutate: [withInstances(running(0), exited(1, { at: exitAt }, { startedAt: exitAt - 600_000 })), attempt2, at(exitAt + 999)],
      expected: (e) => [e.wait(1, exitAt + 1000)],
    },
    {
      name: 'a run just short of resetAfter does not',
      mutate: [withInstances(running(0), exited(1, { at: exitAt }, { startedAt: exitAt - 599_999 })), attempt2, at(exitAt + 3999)],
      expected: (e) => [e.wait(1, exitAt + 4000)],
    },
  ]);
});

void describe('plan: maxRestarts', () => {
  const crashed = withInstances(running(0), exited(1));
  run([
    { name: 'used up: no restart', mutate: [withSpec({ maxRestarts: 3 }), crashed, withHistory({ slots: { 1: { restarts: 3, backoffAttempt: 3 } } })], expected: () => [] },
    { name: 'one left: restart', mutate: [withSpec({ maxRestarts: 3 }), crashed, withHistory({ slots: { 1: { restarts: 2, backoffAttempt: 2 } } })], expected: (e) => [e.start(1, 'RestartPolicy', 3, true)] },
    { name: '0 is unlimited', mutate: [crashed, withHistory({ slots: { 1: { restarts: 99, backoffAttempt: 2 } } })], expected: (e) => [e.start(1, 'RestartPolicy', 3, true)] },
    {
      name: 'a long run resets the failure count',
      mutate: [withSpec({ maxRestarts: 3 }), withInstances(running(0), exited(1, {}, { startedAt: 0 })), withHistory({ slots: { 1: { restarts: 3, backoffAttempt: 3 } } })],
      expected: (e) => [e.start(1, 'RestartPolicy', 1, true)],
    },
    {
      name: 'a new generation resets the failure count',
      mutate: [withSpec({ maxRestarts: 3 }), crashed, withHistory({ generation: 2, slots: { 1: { restarts: 0, backoffAttempt: 3 } } })],
      expected: (e) => [e.start(1, 'RestartPolicy', 4, true)],
    },
  ]);
});

void describe('plan: requested exits', () => {
  run([
    {
      name: 'stopped for a spec change: start the new spec at once',
      mutate: [withInstances(running(0), exited(1, { requested: true, code: null, signal: 'SIGTERM', at: NOW }, { specHash: OLD_HASH, stopReason: 'SpecChanged' }))],
      expected: (e) => [e.start(1, 'SpecChanged')],
    },
    {
      name: 'stopped by a user who then ran tend start: start again',
      mutate: [withInstances(running(0), exited(1, { requested: true, at: NOW }, { stopReason: 'UserStopped' }))],
      expected: (e) => [e.start(1, 'RestartPolicy')],
    },
    {
      name: 'a requested exit restarts even under Never',
      mutate: [withSpec({ restartPolicy: 'Never' }), withInstances(running(0), exited(1, { requested: true, at: NOW }))],
      expected: (e) => [e.start(1, 'RestartPolicy')],
    },
    {
      name: 'a crashed instance of an outdated spec starts the new spec without backoff',
      mutate: [withInstances(running(0), exited(1, { at: NOW }, { specHash: OLD_HASH })), withHistory({ slots: { 1: { restarts: 4, backoffAttempt: 4 } } })],
      expected: (e) => [e.start(1, 'SpecChanged')],
    },
  ]);
});

void describe('plan: scaling and pruning', () => {
  run([
    { name: 'create: no instances yet', mutate: [withInstances()], expected: (e) => [e.start(0, 'Create'), e.start(1, 'Create')] },
    { name: 'scale up', mutate: [withSpec({ replicas: 4 })], expected: (e) => [e.start(2, 'ScaleUp'), e.start(3, 'ScaleUp')] },
    { name: 'a missing slot next to existing ones is a scale up', mutate: [withInstances(running(1))], expected: (e) => [e.start(0, 'ScaleUp')] },
    { name: 'generation comes from history', mutate: [withInstances(), withSpec({ replicas: 1 }), withHistory({ generation: 7 })], expected: (e) => [e.start(0, 'Create')] },
    {
      name: 'scale down: highest index first, an exited extra forgotten',
      mutate: [withSpec({ replicas: 1 }), withInstances(running(0), running(1), exited(2), running(3))],
      expected: (e) => [e.stop(3, 'ScaleDown', false), e.stop(2, 'ScaleDown', true), e.stop(1, 'ScaleDown', false)],
    },
    { name: 'scale to zero', mutate: [withSpec({ replicas: 0 })], expected: (e) => [e.stop(1, 'ScaleDown', false), e.stop(0, 'ScaleDown', false)] },
    { name: 'scale down leaves stopping extras alone', mutate: [withSpec({ replicas: 1 }), withInstances(running(0), running(1, { state: 'stopping' }))], expected: () => [] },
    {
      name: 'prune: stop what runs, forget what has exited',
      mutate: [withInstances(running(0), exited(1), running(2, { state: 'stopping' })), withoutWeb],
      expected: (e) => [e.stop(1, 'Pruned', true, PRUNE), e.stop(0, 'Pruned', false, PRUNE)],
    },
  ]);
});

void describe('plan: spec change under Recreate', () => {
  const recreate = withSpec({ updateStrategy: { type: 'Recreate', maxUnavailable: 1, maxSurge: 0 } });
  const stoppedOld = (r: number) => exited(r, { requested: true, at: NOW }, { specHash: OLD_HASH });
  run([
    { name: 'stops every outdated instance', mutate: [recreate, withInstances(running(0, { specHash: OLD_HASH }), running(1, { specHash: OLD_HASH }))], expected: (e) => [e.stop(0, 'SpecChanged', false), e.stop(1, 'SpecChanged', false)] },
    { name: 'starts nothing while an outdated instance stops', mutate: [recreate, withInstances(stoppedOld(0), running(1, { specHash: OLD_HASH, state: 'stopping' }))], expected: () => [] },
    { name: 'holds a scale up too', mutate: [recreate, withSpec({ replicas: 3 }), withInstances(running(0, { specHash: OLD_HASH }), stoppedOld(1))], expected: (e) => [e.stop(0, 'SpecChanged', false)] },
    { name: 'starts all once every outdated instance is down', mutate: [recreate, withInstances(stoppedOld(0), stoppedOld(1))], expected: (e) => [e.start(0, 'SpecChanged'), e.start(1, 'SpecChanged')] },
  ]);
});

void describe('plan: spec change under RollingUpdate', () => {
  const old = (r: number) => running(r, { specHash: OLD_HASH });
  const rolling = (maxUnavailable: number, maxSurge = 0) => withSpec({ replicas: 3, updateStrategy: { type: 'RollingUpdate', maxUnavailable, maxSurge } });
  run([
    { name: 'maxUnavailable 1: lowest index first', mutate: [rolling(1), withInstances(old(0), old(1), old(2))], expected: (e) => [e.replace(0, 'SpecChanged')] },
    { name: 'maxUnavailable 2', mutate: [rolling(2), withInstances(old(0), old(1), old(2))], expected: (e) => [e.replace(0, 'SpecChanged'), e.replace(1, 'SpecChanged')] },
    { name: 'maxUnavailable 0 still moves one at a time', mutate: [rolling(0), withInstances(old(0), old(1), old(2))], expected: (e) => [e.replace(0, 'SpecChanged')] },
    {
      name: 'maxSurge starts a new instance beside the old one; maxUnavailable still restarts in place',
      mutate: [rolling(1, 1), withInstances(old(0), old(1), old(2))],
      expected: (e) => [{ ...e.start(0, 'SpecChanged'), instance: 'web-0.1' }, e.replace(1, 'SpecChanged')],
    },
    { name: 'surge only: one new instance at a time', mutate: [rolling(0, 1), withInstances(old(0), old(1), old(2))], expected: (e) => [{ ...e.start(0, 'SpecChanged'), instance: 'web-0.1' }] },
    {
      name: 'surge: the old instance stops (and is forgotten) once the new one is available, and the next surge starts',
      mutate: [rolling(0, 1), withInstances(old(0), running(0, { id: 'web-0.1', startedAt: NOW }), old(1), old(2))],
      expected: (e) => [{ ...e.stop(0, 'SpecChanged', false), instance: 'web-0' }, { ...e.start(1, 'SpecChanged'), instance: 'web-1.1' }],
    },
    {
      name: 'surge: waits while the new instance is not available',
      mutate: [rolling(0, 1), withInstances(old(0), running(0, { id: 'web-0.1', hook: 'postStart' }), old(1), old(2))],
      expected: () => [],
    },
    {
      name: 'surge: a failed new instance backs off while the old one serves',
      mutate: [rolling(0, 1), withInstances(old(0), { ...exited(0, { at: NOW }), id: 'web-0.1' }, old(1), old(2))],
      expected: (e) => [{ ...e.wait(0, NOW + 1000), instance: 'web-0.1' }],
    },
    {
      name: 'surge: an old instance that ended beside its replacement is forgotten, not started again',
      mutate: [rolling(0, 1), withInstances({ ...exited(0, { requested: true }), specHash: OLD_HASH }, running(0, { id: 'web-0.1' }), running(1), running(2))],
      expected: (e) => [e.stop(0, 'Forget', true, SPEC.stop)],
    },
    { name: 'continues after the first replacement runs', mutate: [rolling(1), withInstances(running(0), old(1), old(2))], expected: (e) => [e.replace(1, 'SpecChanged')] },
    {
      name: 'halts while a replacement backs off',
      mutate: [rolling(1), withInstances(exited(0, { at: NOW }), old(1), old(2))],
      expected: (e) => [e.wait(0, NOW + 1000)],
    },
    {
      name: 'a completed instance does not hold the rollout',
      mutate: [rolling(1), withSpec({ restartPolicy: 'Never' }), withInstances(exited(0, { code: 0 }), old(1), old(2))],
      expected: (e) => [e.replace(1, 'SpecChanged')],
    },
    { name: 'a failed new instance halts the rollout', mutate: [rolling(1), withSpec({ restartPolicy: 'Never' }), withInstances(exited(0), old(1), old(2))], expected: () => [] },
    { name: 'a missing slot uses the budget', mutate: [rolling(1), withInstances(old(1), old(2))], expected: (e) => [e.start(0, 'ScaleUp')] },
    {
      name: 'waits while the replacement runs its preStart hook',
      mutate: [rolling(1), withInstances(running(0, { state: 'starting', pid: 0, hook: 'preStart' }), old(1), old(2))],
      expected: () => [],
    },
    { name: 'waits while the replacement runs its postStart hook', mutate: [rolling(1), withInstances(running(0, { hook: 'postStart' }), old(1), old(2))], expected: () => [] },
  ]);
});

void describe('plan: tend stop', () => {
  const stopped = (generation: number) => withHistory({ generation, override: { type: 'stopped', at: NOW - 1, generation: 1 } });
  const downed = withInstances(exited(0, { requested: true, at: NOW }), exited(1, { requested: true, at: NOW }));
  run([
    { name: 'stops every running instance, without forgetting', mutate: [stopped(1)], expected: (e) => [e.stop(0, 'UserStopped', false), e.stop(1, 'UserStopped', false)] },
    { name: 'starts nothing while stopped', mutate: [stopped(1), downed], expected: () => [] },
    { name: 'stops an instance in its preStart hook', mutate: [stopped(1), withInstances(running(0, { state: 'starting', pid: 0 }))], expected: (e) => [e.stop(0, 'UserStopped', false)] },
    { name: 'does not restart a crash while stopped', mutate: [stopped(1), withInstances(exited(0), exited(1))], expected: () => [] },
    { name: 'still scales down while stopped', mutate: [stopped(1), withSpec({ replicas: 1 })], expected: (e) => [e.stop(1, 'ScaleDown', false), e.stop(0, 'UserStopped', false)] },
    { name: 'a new generation clears it (Always)', mutate: [stopped(2), downed], expected: (e) => [e.start(0, 'RestartPolicy'), e.start(1, 'RestartPolicy')] },
    { name: 'UnlessStopped: outlives a new generation', mutate: [withSpec({ restartPolicy: 'UnlessStopped' }), stopped(2), downed], expected: () => [] },
    { name: 'UnlessStopped: stops what runs after a new generation', mutate: [withSpec({ restartPolicy: 'UnlessStopped' }), stopped(2)], expected: (e) => [e.stop(0, 'UserStopped', false), e.stop(1, 'UserStopped', false)] },
  ]);
});

void describe('plan: tend restart', () => {
  const requested = withHistory({ restartRequestedAt: NOW - 10 });
  run([
    { name: 'restarts older instances, maxUnavailable at a time', mutate: [requested], expected: (e) => [e.replace(0, 'UserRestart')] },
    { name: 'continues with the next one', mutate: [requested, withInstances(running(0, { startedAt: NOW }), running(1))], expected: (e) => [e.replace(1, 'UserRestart')] },
    { name: 'done once every instance started after it', mutate: [requested, withInstances(running(0, { startedAt: NOW }), running(1, { startedAt: NOW }))], expected: () => [] },
    {
      name: 'Recreate: stops all first',
      mutate: [requested, withSpec({ updateStrategy: { type: 'Recreate', maxUnavailable: 1, maxSurge: 0 } })],
      expected: (e) => [e.stop(0, 'UserRestart', false), e.stop(1, 'UserRestart', false)],
    },
    {
      name: 'a crash-looping instance starts at once, backoff reset',
      mutate: [requested, withInstances(running(0, { startedAt: NOW }), exited(1, { at: NOW - 20 })), withHistory({ restartRequestedAt: NOW - 10, slots: { 1: { restarts: 5, backoffAttempt: 5 } } })],
      expected: (e) => [e.start(1, 'UserRestart')],
    },
  ]);
});

void describe('plan: several objects', () => {
  void it('plans each object and prunes observed objects gone from the manifests', () => {
    const f: Fixture = { ...BASE, instances: [...BASE.instances, running(0, {}, 'old')] };
    const actions = blankMessages(plan(toInput(f)));
    assert.deepEqual(
      actions.map((a) => [a.type, a.object, a.instance, a.reason]),
      [['stop', 'process/old', 'old-0', 'Pruned']],
    );
    assert.ok(!actions.some((a) => a.object === KEY));
  });
});
