/**
 * The resource guard on a pass of samples: alert events with severity, a breach told once as an
 * event and handed to the planner (enqueueing its object), breaches dropped once the process is
 * gone, kernel-held limits never breached, objects without limits ignored, and each instance
 * judged by the limits and alerts of the revision it runs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TendEvent } from '../../src/model/event.ts';
import type { ResourcePolicy } from '../../src/model/limits.ts';
import type { SampledUsage } from '../../src/model/usage.ts';
import { createResourceGuard, revisionPolicies } from '../../src/controller/resource-guard.ts';
import type { History } from '../../src/model/history.ts';
import { processObject, SPEC } from '../planner/fixtures.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';

const MiB = 1024 * 1024;
const POLICY: ResourcePolicy = { limits: { memory: 100 * MiB }, onExceed: 'restart', warnAt: 0.8, enforce: 'kernel' };

function setup(policy: ResourcePolicy = POLICY) {
  const events: Omit<TendEvent, 'time'>[] = [];
  const guard = createResourceGuard({ clock: createFakeClock(), events: { record: (e) => events.push(e) }, policyOf: (key) => (key === 'process/web' ? policy : undefined) });
  const enqueued: string[] = [];
  guard.subscribe((key) => enqueued.push(key));
  return { guard, events, enqueued };
}

const sample = (memory: number, pid = 7, patch: Partial<SampledUsage> = {}): SampledUsage => ({
  object: 'process/web', id: 'web-0', pid, usage: { cpu: 0, memory, fds: 3, threads: 1, sockets: 0 }, ...patch,
});

void describe('resource guard', () => {
  void it('a warning, then a breach told once and handed to the planner', () => {
    const { guard, events, enqueued } = setup();
    guard.observe([sample(85 * MiB)]);
    assert.deepEqual(events.map((e) => [e.reason, e.severity]), [['MemoryHigh', 'warning']]);
    assert.equal(guard.breaches().size, 0);
    guard.observe([sample(120 * MiB)]);
    guard.observe([sample(130 * MiB)]);
    assert.deepEqual(events.map((e) => e.reason), ['MemoryHigh', 'MemoryHigh', 'ResourceExhaustion']);
    assert.deepEqual(enqueued, ['process/web']);
    assert.deepEqual(guard.breaches().get('process/web')?.get('web-0'), { pid: 7, onExceed: 'restart', message: 'memory 120 MiB > limit 100 MiB' });
    assert.deepEqual(guard.alerts().map((a) => [a.instance, a.resource, a.severity]), [['web-0', 'memory', 'critical']]);
  });

  void it('the breach goes once the process is gone or replaced', () => {
    const { guard } = setup();
    guard.observe([sample(120 * MiB)]);
    guard.observe([sample(MiB, 8)]);
    assert.equal(guard.breaches().size, 0);
    guard.observe([sample(120 * MiB, 8)]);
    guard.observe([]);
    assert.equal(guard.breaches().size, 0);
    assert.deepEqual(guard.alerts(), []);
  });

  void it('a limit held by a cgroup alerts but is not breached; objects without limits are ignored', () => {
    const { guard, events } = setup();
    guard.observe([sample(120 * MiB, 7, { enforcement: { memory: 'cgroup' } }), sample(999 * MiB, 9, { object: 'process/other' })]);
    assert.deepEqual(events.map((e) => e.reason), ['MemoryHigh']);
    assert.equal(guard.breaches().size, 0);
  });

  void it('judges each instance by the revision it runs: a lower limit in the manifest spares the old instance', () => {
    const before: ResourcePolicy = { limits: { memory: 200 * MiB }, onExceed: 'kill', warnAt: 0.9, enforce: 'monitor' };
    const now: ResourcePolicy = { limits: { memory: 20 * MiB }, onExceed: 'kill', warnAt: 0.5, enforce: 'monitor' };
    const web = processObject('web', { resources: now }, 'h-new');
    const history: History = new Map([['process/web', { generation: 2, contentHash: '', slots: {}, revisions: { 'h-old': { ...SPEC, resources: before } } }]]);
    const events: Omit<TendEvent, 'time'>[] = [];
    const policyOf = revisionPolicies(() => new Map([[web.key, web]]), () => history);
    const guard = createResourceGuard({ clock: createFakeClock(), events: { record: (e) => events.push(e) }, policyOf });
    guard.observe([sample(40 * MiB, 7, { id: 'web-1', specHash: 'h-old' }), sample(40 * MiB, 8, { id: 'web-0', specHash: 'h-new' })]);
    assert.deepEqual(events.map((e) => [e.instance, e.reason]), [['web-0', 'MemoryHigh'], ['web-0', 'ResourceExhaustion']]);
    assert.deepEqual([...(guard.breaches().get('process/web')?.keys() ?? [])], ['web-0']);
    assert.deepEqual(guard.alerts().map((a) => a.instance), ['web-0']);
    assert.equal(policyOf('process/web', 'h-unrecorded'), now, 'a revision nobody recorded: the manifest\'s');
    assert.equal(policyOf('process/web', undefined), now);
  });

  void it('an object gone from the manifests is judged by its kept revision', () => {
    const before: ResourcePolicy = { limits: { memory: 200 * MiB }, onExceed: 'alert', warnAt: 0.9, enforce: 'monitor' };
    const history: History = new Map([['process/web', { generation: 2, contentHash: '', slots: {}, revisions: { 'h-old': { ...SPEC, resources: before } } }]]);
    const policyOf = revisionPolicies(() => new Map(), () => history);
    assert.equal(policyOf('process/web', 'h-old'), before);
    assert.equal(policyOf('process/web', 'h-other'), undefined);
  });
});
