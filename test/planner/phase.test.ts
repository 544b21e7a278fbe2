/**
 * Instance and object phases, each derived from a fixture and the plan computed from it, so
 * status and plan are checked together the way `tend get` uses them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Action } from '../../src/model/action.ts';
import type { ProcessObject } from '../../src/model/object.ts';
import { instancePhase, nextWake, objectPhase } from '../../src/planner/phase.ts';
import { plan } from '../../src/planner/plan-key.ts';
import type { Fixture, Mutator } from './fixtures.ts';
import { BASE, KEY, NOW, OLD_HASH, at, exited, running, toInput, withHistory, withInstances, withSpec, withoutWeb } from './fixtures.ts';

function world(mutate: readonly Mutator[]) {
  const f = mutate.reduce<Fixture>((acc, m) => m(acc), BASE);
  const input = toInput(f);
  const object = input.desired.objects.get(KEY) as ProcessObject | undefined;
  const instances = input.observed.get(KEY) ?? [];
  const history = input.history.get(KEY);
  return { object, instances, history, actions: plan(input) };
}

void describe('instancePhase', () => {
  const stopped = withHistory({ override: { type: 'stopped', at: 0, generation: 1 } });
  const table: readonly { name: string; mutate: readonly Mutator[]; phase: string; reason: string }[] = [
    { name: 'running', mutate: [], phase: 'Running', reason: 'Started' },
    { name: 'stopping', mutate: [withInstances(running(0, { state: 'stopping', stopReason: 'SpecChanged' }))], phase: 'Stopping', reason: 'SpecChanged' },
    { name: 'backing off', mutate: [withInstances(exited(0, { at: NOW }))], phase: 'BackOff', reason: 'CrashLoopBackOff' },
    { name: 'restarting now', mutate: [withInstances(exited(0))], phase: 'Pending', reason: 'RestartPolicy' },
    { name: 'completed under Never', mutate: [withSpec({ restartPolicy: 'Never' }), withInstances(exited(0, { code: 0 }))], phase: 'Succeeded', reason: 'Completed' },
    { name: 'failed under Never', mutate: [withSpec({ restartPolicy: 'Never' }), withInstances(exited(0))], phase: 'Failed', reason: 'Error' },
    { name: 'killed under OnFailure, Never', mutate: [withSpec({ restartPolicy: 'Never' }), withInstances(exited(0, { code: null, signal: 'SIGKILL' }))], phase: 'Failed', reason: 'Signaled' },
    { name: 'spawn error under Never', mutate: [withSpec({ restartPolicy: 'Never' }), withInstances(exited(0, { code: null, reason: 'SpawnError' }))], phase: 'Failed', reason: 'SpawnError' },
    {
      name: 'maxRestarts used up',
      mutate: [withSpec({ maxRestarts: 2 }), withInstances(exited(0)), withHistory({ slots: { 0: { restarts: 2, backoffAttempt: 2 } } })],
      phase: 'Failed',
      reason: 'MaxRestartsExceeded',
    },
    { name: 'user stopped', mutate: [stopped, withInstances(exited(0, { requested: true }, { stopReason: 'UserStopped' }))], phase: 'Stopped', reason: 'UserStopped' },
    {
      name: 'held by Recreate',
      mutate: [withSpec({ updateStrategy: { type: 'Recreate', maxUnavailable: 1, maxSurge: 0 } }), withInstances(exited(0, { requested: true }, { specHash: OLD_HASH, stopReason: 'SpecChanged' }), running(1, { specHash: OLD_HASH, state: 'stopping' }))],
      phase: 'Stopped',
      reason: 'SpecChanged',
    },
    { name: 'pruned', mutate: [withInstances(exited(0)), withoutWeb], phase: 'Stopped', reason: 'Pruned' },
    { name: 'in its preStart hook', mutate: [withInstances(running(0, { state: 'starting', pid: 0, hook: 'preStart' }))], phase: 'Starting', reason: 'PreStartHook' },
    { name: 'in its postStart hook', mutate: [withInstances(running(0, { hook: 'postStart' }))], phase: 'Starting', reason: 'PostStartHook' },
    {
      name: 'a HookFailure exit under Never',
      mutate: [withSpec({ restartPolicy: 'Never' }), withInstances(exited(0, { code: 3, reason: 'HookFailure' }))],
      phase: 'Failed',
      reason: 'HookFailure',
    },
  ];
  for (const row of table) {
    void it(row.name, () => {
      const w = world(row.mutate);
      const instance = w.instances[0];
      assert.ok(instance);
      assert.deepEqual(instancePhase(instance, w.object, w.history, w.actions), { phase: row.phase, reason: row.reason });
    });
  }
});

void describe('objectPhase', () => {
  const table: readonly { name: string; mutate: readonly Mutator[]; phase: string; reason: string; ready: number }[] = [
    { name: 'all running', mutate: [], phase: 'Running', reason: 'Ready', ready: 2 },
    { name: 'nothing started yet', mutate: [withInstances()], phase: 'Pending', reason: 'Create', ready: 0 },
    { name: 'scaling up', mutate: [withSpec({ replicas: 3 })], phase: 'Progressing', reason: 'ScaleUp', ready: 2 },
    { name: 'rolling update', mutate: [withInstances(running(0, { specHash: OLD_HASH }), running(1, { specHash: OLD_HASH }))], phase: 'Progressing', reason: 'SpecChanged', ready: 0 },
    { name: 'one backing off', mutate: [withInstances(running(0), exited(1, { at: NOW }))], phase: 'Degraded', reason: 'CrashLoopBackOff', ready: 1 },
    { name: 'one failed for good', mutate: [withSpec({ restartPolicy: 'Never' }), withInstances(running(0), exited(1))], phase: 'Degraded', reason: 'Error', ready: 1 },
    { name: 'all failed', mutate: [withSpec({ restartPolicy: 'Never' }), withInstances(exited(0), exited(1))], phase: 'Failed', reason: 'Error', ready: 0 },
    { name: 'all completed', mutate: [withSpec({ restartPolicy: 'OnFailure' }), withInstances(exited(0, { code: 0 }), exited(1, { code: 0 }))], phase: 'Succeeded', reason: 'Completed', ready: 0 },
    { name: 'user stopping', mutate: [withHistory({ override: { type: 'stopped', at: 0, generation: 1 } })], phase: 'Stopping', reason: 'UserStopped', ready: 2 },
    {
      name: 'user stopped',
      mutate: [withHistory({ override: { type: 'stopped', at: 0, generation: 1 } }), withInstances(exited(0, { requested: true }), exited(1, { requested: true }))],
      phase: 'Stopped',
      reason: 'UserStopped',
      ready: 0,
    },
    { name: 'pruned', mutate: [withoutWeb], phase: 'Terminating', reason: 'Pruned', ready: 0 },
  ];
  for (const row of table) {
    void it(row.name, () => {
      const w = world(row.mutate);
      assert.deepEqual(objectPhase(w.object, w.instances, w.history, w.actions), { phase: row.phase, reason: row.reason, readyReplicas: row.ready });
    });
  }
});

void describe('nextWake', () => {
  const wait = (until: number): Action => ({ type: 'wait', object: KEY, instance: `web-${until}`, reason: 'CrashLoopBackOff', message: '', until });
  void it('is undefined without waits', () => assert.equal(nextWake([]), undefined));
  void it('is the earliest wait', () => assert.equal(nextWake([wait(30), wait(10), wait(20)]), 10));
  void it('follows the plan', () => {
    const w = world([withInstances(exited(0, { at: NOW }), exited(1, { at: NOW - 500 })), at(NOW)]);
    assert.equal(nextWake(w.actions), NOW + 500);
  });
});
