/**
 * Limits judgement: figures per resource, the sustained window of CPU and disk rates (three
 * consecutive samples above the limit, never one spike), the first breach and its message.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceUsage } from '../../src/model/usage.ts';
import { firstBreach, judgeSample, SUSTAINED_SAMPLES, type LimitWindow } from '../../src/planner/limits.ts';

const MiB = 1024 * 1024;
const IDLE: ResourceUsage = { cpu: 0, memory: 10 * MiB, fds: 5, threads: 1, sockets: 0, diskReadBps: 0, diskWriteBps: 0 };

function feed(limits: Parameters<typeof judgeSample>[0], samples: readonly Partial<ResourceUsage>[]) {
  let window: LimitWindow = {};
  let figures = {};
  for (const s of samples) ({ figures, window } = judgeSample(limits, { ...IDLE, ...s }, window));
  return { figures, window };
}

void describe('limits: judgement', () => {
  void it('judges memory, fds and threads on the one sample', () => {
    const { figures } = feed({ memory: 64 * MiB, fds: 10, threads: 4 }, [{ memory: 80 * MiB, fds: 11, threads: 2 }]);
    assert.deepEqual(figures, { memory: 80 * MiB, fds: 11, threads: 2 });
    assert.equal(firstBreach({ memory: 64 * MiB, fds: 10, threads: 4 }, figures)?.message, 'memory 80 MiB > limit 64 MiB');
  });

  void it('judges CPU only after three samples, as the lowest of them (cores)', () => {
    assert.equal(SUSTAINED_SAMPLES, 3);
    assert.deepEqual(feed({ cpu: 0.5 }, [{ cpu: 90 }, { cpu: 95 }]).figures, {});
    assert.deepEqual(feed({ cpu: 0.5 }, [{ cpu: 90 }, { cpu: 95 }, { cpu: 80 }]).figures, { cpu: 0.8 });
  });

  void it('one spike is no breach; three samples above the limit are', () => {
    const limits = { cpu: 0.5 };
    const spike = feed(limits, [{ cpu: 10 }, { cpu: 100 }, { cpu: 10 }]);
    assert.equal(firstBreach(limits, spike.figures), undefined);
    const sustained = feed(limits, [{ cpu: 10 }, { cpu: 60 }, { cpu: 70 }, { cpu: 65 }]);
    assert.deepEqual(firstBreach(limits, sustained.figures), { resource: 'cpu', value: 0.6, limit: 0.5, message: 'cpu 0.6 cores > limit 0.5 cores for 3 samples' });
  });

  void it('keeps only the last three figures of a windowed resource', () => {
    const { window } = feed({ diskWrite: MiB }, [{ diskWriteBps: 1 }, { diskWriteBps: 2 }, { diskWriteBps: 3 }, { diskWriteBps: 4 }]);
    assert.deepEqual(window, { diskWrite: [2, 3, 4] });
  });

  void it('a disk-write rate at the limit is not above it; unreadable io is not judged', () => {
    const limits = { diskWrite: MiB };
    assert.equal(firstBreach(limits, feed(limits, [{ diskWriteBps: MiB }, { diskWriteBps: MiB }, { diskWriteBps: MiB }]).figures), undefined);
    const { diskWriteBps: _gone, ...noIo } = IDLE;
    assert.deepEqual(judgeSample(limits, noIo, {}).figures, {});
  });

  void it('the first breach follows the resource order: memory before cpu', () => {
    const limits = { cpu: 0.1, memory: MiB };
    const { figures } = feed(limits, [{ cpu: 50 }, { cpu: 50 }, { cpu: 50 }]);
    assert.equal(firstBreach(limits, figures)?.resource, 'memory');
  });
});
