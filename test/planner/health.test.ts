/**
 * Table-driven planner tests for probe observations: startup gating, the startup deadline,
 * liveness stops, and readiness gating rolling updates. Whole plans are compared, messages
 * blanked; reasons are the contract.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Action } from '../../src/model/action.ts';
import type { InstanceHealth, ProbeSpec } from '../../src/model/health.ts';
import { exitOf, type ObservedInstance } from '../../src/model/instance.ts';
import { classifyExit } from '../../src/planner/failures.ts';
import { instancePhase, objectPhase } from '../../src/planner/phase.ts';
import { plan } from '../../src/planner/plan-key.ts';
import type { Expect, Fixture, Mutator } from './fixtures.ts';
import { BASE, KEY, NOW, OLD_HASH, blankMessages, exited, expectFor, processObject, running, toInput, withInstances, withSpec } from './fixtures.ts';

const PROBE: ProbeSpec = { check: { type: 'tcp', host: '127.0.0.1', port: 1 }, initialDelayMs: 0, periodMs: 1000, timeoutMs: 100, successThreshold: 1, failureThreshold: 3 };
const STARTED_AT = 1000;

interface HealthCase {
  readonly name: string;
  readonly mutate: readonly Mutator[];
  readonly health: Readonly<Record<string, Partial<InstanceHealth>>>;
  readonly expected: (e: Expect) => Action[];
}

// Health for web-<replica> started at STARTED_AT with pid 100+replica (the fixture's running()).
function healthOf(replica: number, patch: Partial<InstanceHealth>): InstanceHealth {
  return { pid: 100 + replica, startedAt: STARTED_AT, since: STARTED_AT, started: true, ready: true, livenessFailed: false, probes: {}, ...patch };
}

function inputOf(fixture: Fixture, health: HealthCase['health']) {
  const byId = new Map(Object.entries(health).map(([id, h]) => [id, healthOf(Number(id.slice(4)), h)]));
  return { ...toInput(fixture), health: new Map([[KEY, byId]]) };
}

function run(cases: readonly HealthCase[]): void {
  for (const c of cases) {
    void it(c.name, () => {
      const fixture = c.mutate.reduce<Fixture>((f, m) => m(f), BASE);
      assert.deepEqual(blankMessages(plan(inputOf(fixture, c.health))), c.expected(expectFor(fixture)));
    });
  }
}

const stopFor = (replica: number, reason: 'LivenessFailure' | 'StartupTimeout', e: Expect): Action => e.stop(replica, reason, false);
const awaiting = (replica: number, until: number): Action => ({ type: 'wait', object: KEY, instance: `web-${replica}`, reason: 'AwaitingStartup', message: '', until });

void describe('plan: liveness', () => {
  const liveness = withSpec({ probes: { liveness: PROBE } });
  run([
    { name: 'a passing liveness probe changes nothing', mutate: [liveness], health: { 'web-0': {}, 'web-1': {} }, expected: () => [] },
    { name: 'a failed liveness probe stops the instance (LivenessFailure)', mutate: [liveness], health: { 'web-1': { livenessFailed: true } }, expected: (e) => [stopFor(1, 'LivenessFailure', e)] },
    { name: 'liveness is ignored without a liveness probe', mutate: [], health: { 'web-1': { livenessFailed: true } }, expected: () => [] },
    {
      name: 'health of an earlier process in the slot is ignored',
      mutate: [liveness, withInstances(running(0), running(1, { pid: 999 }))],
      health: { 'web-1': { livenessFailed: true } },
      expected: () => [],
    },
    {
      name: 'liveness does not act before the startup probe passed',
      mutate: [withSpec({ probes: { liveness: PROBE, startup: PROBE }, startupTimeoutMs: 0 })],
      health: { 'web-0': {}, 'web-1': { started: false, livenessFailed: true } },
      expected: () => [],
    },
  ]);
});

void describe('plan: startupTimeout', () => {
  const startup = (timeout: number): Mutator => withSpec({ probes: { startup: PROBE }, startupTimeoutMs: timeout });
  run([
    { name: 'waits for the startup deadline (AwaitingStartup)', mutate: [startup(NOW)], health: { 'web-0': {}, 'web-1': { started: false } }, expected: () => [awaiting(1, STARTED_AT + NOW)] },
    { name: 'not started by the deadline: StartupTimeout', mutate: [startup(5000)], health: { 'web-0': {}, 'web-1': { started: false } }, expected: (e) => [stopFor(1, 'StartupTimeout', e)] },
    { name: 'no observation of the process yet: nothing is decided', mutate: [startup(5000)], health: { 'web-0': {} }, expected: () => [] },
    {
      name: 'an adopted process gets its startup window from when the prober first saw it',
      mutate: [startup(5000)],
      health: { 'web-0': {}, 'web-1': { started: false, since: NOW - 1000 } },
      expected: () => [awaiting(1, NOW + 4000)],
    },
    { name: 'startupTimeout 0 waits for ever', mutate: [startup(0)], health: { 'web-0': {}, 'web-1': { started: false } }, expected: () => [] },
    { name: 'without a startup probe a running instance has started', mutate: [withSpec({ startupTimeoutMs: 5000 })], health: {}, expected: () => [] },
  ]);
});

void describe('plan: readiness gates a rolling update', () => {
  const readiness = withSpec({ probes: { readiness: PROBE } });
  const updating = withInstances(running(0), running(1, { specHash: OLD_HASH }));
  run([
    { name: 'the new instance is ready: the next old one is restarted', mutate: [readiness, updating], health: { 'web-0': {}, 'web-1': {} }, expected: (e) => [e.replace(1, 'SpecChanged')] },
    { name: 'the new instance is not ready: the old one keeps running', mutate: [readiness, updating], health: { 'web-0': { ready: false }, 'web-1': {} }, expected: () => [] },
    { name: 'a new instance not probed yet counts as not ready', mutate: [readiness, updating], health: { 'web-1': {} }, expected: () => [] },
    {
      name: 'an old instance not probed yet is presumed available',
      mutate: [readiness, withInstances(running(0, { specHash: OLD_HASH }), running(1, { specHash: OLD_HASH }))],
      health: {},
      expected: (e) => [e.replace(0, 'SpecChanged')],
    },
    {
      name: 'an old instance that is not ready is replaced without waiting for the budget',
      mutate: [readiness, updating],
      health: { 'web-0': { ready: false }, 'web-1': { ready: false } },
      expected: (e) => [e.replace(1, 'SpecChanged')],
    },
    { name: 'without a readiness probe running counts as available', mutate: [updating], health: {}, expected: (e) => [e.replace(1, 'SpecChanged')] },
  ]);
});

void describe('phases with health', () => {
  const object = processObject('web', { probes: { startup: PROBE, readiness: PROBE } });
  const health = (patch: Partial<InstanceHealth>) => new Map([['web-0', healthOf(0, patch)]]);
  const instance: ObservedInstance = running(0);
  void it('a running instance is Starting until its startup probe passes', () => {
    assert.deepEqual(instancePhase(instance, object, undefined, [], health({ started: false })), { phase: 'Starting', reason: 'StartupProbe' });
    assert.deepEqual(instancePhase(instance, object, undefined, [], health({})), { phase: 'Running', reason: 'Started' });
  });
  void it('readyReplicas counts only ready instances', () => {
    const one = processObject('web', { replicas: 1, probes: { readiness: PROBE } });
    assert.equal(objectPhase(one, [instance], undefined, [], health({ ready: false })).readyReplicas, 0);
    assert.deepEqual(objectPhase(one, [instance], undefined, [], health({})), { phase: 'Running', reason: 'Ready', readyReplicas: 1 });
  });
});

void describe('after a health stop', () => {
  const stopping = running(1, { state: 'stopping', stopReason: 'LivenessFailure' });
  void it('the exit carries the failure reason and is not a requested one', () => {
    assert.deepEqual(exitOf(stopping, { code: null, signal: 'SIGTERM', reason: 'Exited' }, NOW), { code: null, signal: 'SIGTERM', reason: 'LivenessFailure', at: NOW, requested: false });
    assert.equal(exitOf({ ...stopping, stopReason: 'SpecChanged' }, { code: 0, signal: null, reason: 'Exited' }, NOW).requested, true);
  });
  void it('is classified as that failure type', () => {
    const exit = exitOf(stopping, { code: null, signal: 'SIGTERM', reason: 'Exited' }, NOW);
    assert.equal(classifyExit(exit, stopping.stopReason), 'LivenessFailure');
    assert.equal(classifyExit({ ...exit, reason: 'StartupTimeout' }), 'StartupTimeout');
  });
  const afterStop = (reason: 'LivenessFailure' | 'StartupTimeout') => withInstances(running(0), exited(1, { code: null, signal: 'SIGTERM', reason }));
  run([
    { name: 'OnFailure restarts after LivenessFailure, with backoff', mutate: [withSpec({ restartPolicy: 'OnFailure' }), afterStop('LivenessFailure')], health: {}, expected: (e) => [e.start(1, 'RestartPolicy', 1, true)] },
    { name: 'Always restarts after StartupTimeout', mutate: [afterStop('StartupTimeout')], health: {}, expected: (e) => [e.start(1, 'RestartPolicy', 1, true)] },
    { name: 'Never leaves it', mutate: [withSpec({ restartPolicy: 'Never' }), afterStop('StartupTimeout')], health: {}, expected: () => [] },
  ]);
  void it('Never shows it Failed with the reason', () => {
    const object = processObject('web', { restartPolicy: 'Never' });
    const instance = exited(1, { code: null, signal: 'SIGTERM', reason: 'LivenessFailure' });
    assert.deepEqual(instancePhase(instance, object, undefined, []), { phase: 'Failed', reason: 'LivenessFailure' });
  });
});
