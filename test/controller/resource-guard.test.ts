/**
 * The resource guard on a pass of samples: alert events with severity, a breach told once as an
 * event and handed to the planner (enqueueing its object), breaches dropped once the process is
 * gone, kernel-held limits never breached, objects without limits ignored.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TendEvent } from '../../src/model/event.ts';
import type { ResourcePolicy } from '../../src/model/limits.ts';
import type { SampledUsage } from '../../src/model/usage.ts';
import { createResourceGuard } from '../../src/controller/resource-guard.ts';
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
});
