/**
 * One instance's watch across samples: alerts and a breach from the same judged figures, a
 * breach told once per process, none with onExceed alert, and a new process starting afresh.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourcePolicy } from '../../src/model/limits.ts';
import type { ResourceUsage } from '../../src/model/usage.ts';
import { watchSample, type InstanceWatch } from '../../src/planner/resource-watch.ts';

const MiB = 1024 * 1024;
const usage = (memory: number, cpu = 0): ResourceUsage => ({ cpu, memory, fds: 3, threads: 1, sockets: 0 });
const policy: ResourcePolicy = { limits: { memory: 100 * MiB, cpu: 1 }, onExceed: 'restart', warnAt: 0.8, enforce: 'kernel' };

void describe('resource watch', () => {
  void it('a breach is new once per process, with the critical alert on the same sample', () => {
    const first = watchSample(policy, 7, usage(120 * MiB), undefined, 1);
    assert.equal(first.newBreach?.message, 'memory 120 MiB > limit 100 MiB');
    assert.deepEqual(first.changes.map((c) => c.reason), ['MemoryHigh']);
    const second = watchSample(policy, 7, usage(130 * MiB), first.watch, 2);
    assert.equal(second.newBreach, undefined);
    assert.equal(second.watch.breach?.message, 'memory 120 MiB > limit 100 MiB');
  });

  void it('onExceed alert never breaches, only alerts', () => {
    const r = watchSample({ ...policy, onExceed: 'alert' }, 7, usage(120 * MiB), undefined, 1);
    assert.equal(r.newBreach, undefined);
    assert.equal(r.watch.breach, undefined);
    assert.equal(r.watch.alerts.memory?.severity, 'critical');
  });

  void it('a limit the kernel holds alerts but does not breach; the others still do', () => {
    const kernel = watchSample(policy, 7, usage(120 * MiB), undefined, 1, { memory: 'cgroup', cpu: 'monitor' });
    assert.equal(kernel.newBreach, undefined);
    assert.deepEqual(kernel.changes.map((c) => c.reason), ['MemoryHigh']);
    const fds = watchSample({ ...policy, limits: { fds: 10 } }, 7, { ...usage(MiB), fds: 11 }, undefined, 1, { fds: 'monitor' });
    assert.equal(fds.newBreach?.resource, 'fds');
  });

  void it('CPU breaches only after three samples above the limit', () => {
    let watch: InstanceWatch | undefined;
    const breaches: (string | undefined)[] = [];
    for (const cpu of [150, 150, 150]) {
      const r = watchSample(policy, 7, usage(MiB, cpu), watch, 0);
      watch = r.watch;
      breaches.push(r.newBreach?.resource);
    }
    assert.deepEqual(breaches, [undefined, undefined, 'cpu']);
  });

  void it('a new process in the slot starts with a fresh window and no alerts', () => {
    const old = watchSample(policy, 7, usage(120 * MiB), undefined, 1).watch;
    const fresh = watchSample(policy, 8, usage(MiB), old, 2);
    assert.deepEqual(fresh.watch, { pid: 8, window: { cpu: [0] }, alerts: {} });
    assert.deepEqual(fresh.changes, []);
  });
});
