/**
 * The sampler's adaptive schedule: which instances are read on which tick, given their latest
 * sample, their limits, open alerts and autoscaling.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cadenceOf, isDue, isFullPass, isNear, NEAR_SHARE, nextDue, QUIET_MAX_MS, ticksPerRead, WATCHED_MAX_MS, type SampleWatch } from '../../src/monitor/sample-schedule.ts';
import type { ResourceUsage } from '../../src/model/usage.ts';

const idle: ResourceUsage = { cpu: 0, memory: 10 * 2 ** 20, fds: 4, threads: 1, sockets: 0 };
const last = (usage: ResourceUsage = idle): { pid: number; usage: ResourceUsage } => ({ pid: 42, usage });
const never = (): SampleWatch | undefined => assert.fail('watch asked');

void describe('sample schedule', () => {
  void it('reads every interval an instance not sampled yet, or whose process changed', () => {
    assert.equal(cadenceOf(undefined, 42, never, undefined), 'interval');
    assert.equal(cadenceOf(last(), 43, never, undefined), 'interval');
  });

  void it('reads every interval an instance that used CPU, without asking what watches it', () => {
    assert.equal(cadenceOf(last({ ...idle, cpu: 0.5 }), 42, never, undefined), 'interval');
    assert.equal(cadenceOf(last({ ...idle, diskReadBps: 4096 }), 42, () => undefined, undefined), 'quiet', 'carried disk rates of an idle process do not make it busy');
  });

  void it('says the next tick an instance of each cadence is read, counted from the start', () => {
    const quiet = QUIET_MAX_MS / 1000;
    assert.equal(nextDue('interval', 7, 1000), 7);
    assert.equal(nextDue('quiet', 0, 1000), 0);
    assert.equal(nextDue('quiet', 1, 1000), quiet);
    assert.equal(nextDue('quiet', quiet, 1000), quiet);
    assert.equal(nextDue('watched', WATCHED_MAX_MS / 1000 + 1, 1000), 2 * (WATCHED_MAX_MS / 1000));
    for (let tick = 0; tick < 3 * quiet; tick++) {
      const next = nextDue('quiet', tick, 1000);
      assert.ok(isDue('quiet', next, 1000) && next >= tick && next - tick < quiet, `tick ${tick}`);
    }
  });

  void it('reads an idle instance without limits every QUIET_MAX_MS', () => {
    assert.equal(cadenceOf(last(), 42, () => undefined, undefined), 'quiet');
    assert.equal(cadenceOf(last(), 42, () => ({ limits: {} }), undefined), 'quiet');
  });

  void it('reads an idle instance with limits far from them every WATCHED_MAX_MS', () => {
    assert.equal(cadenceOf(last(), 42, () => ({ limits: { memory: 1024 * 2 ** 20 }, warnAt: 0.8 }), undefined), 'watched');
  });

  void it('reads every interval an instance near a limit, with an open alert, or autoscaled', () => {
    const threshold = NEAR_SHARE * 0.8 * 100 * 2 ** 20;
    assert.equal(cadenceOf(last({ ...idle, memory: threshold }), 42, () => ({ limits: { memory: 100 * 2 ** 20 }, warnAt: 0.8 }), undefined), 'interval');
    assert.equal(cadenceOf(last({ ...idle, memory: threshold - 1 }), 42, () => ({ limits: { memory: 100 * 2 ** 20 }, warnAt: 0.8 }), undefined), 'watched');
    assert.equal(cadenceOf(last(), 42, () => ({ limits: { memory: 2 ** 40 }, alerting: true }), undefined), 'interval');
    assert.equal(cadenceOf(last(), 42, () => ({ autoscaled: true }), undefined), 'interval');
  });

  void it('judges nearness in the units of each limit (CPU in cores, counts, bytes per second)', () => {
    assert.equal(isNear({ ...idle, cpu: 20 }, { limits: { cpu: 0.5 }, warnAt: 0.8 }), true, '0.2 cores >= 0.5 x 0.8 x 0.5');
    assert.equal(isNear({ ...idle, cpu: 19 }, { limits: { cpu: 0.5 }, warnAt: 0.8 }), false);
    assert.equal(isNear({ ...idle, fds: 50 }, { limits: { fds: 100 }, warnAt: 1 }), true);
    assert.equal(isNear({ ...idle, threads: 1 }, { limits: { threads: 64 } }), false);
    assert.equal(isNear({ ...idle, diskReadBps: 400 }, { limits: { diskRead: 1000 }, warnAt: 0.8 }), true);
    assert.equal(isNear(idle, { limits: { diskWrite: 1000 } }), false, 'no figure: not near');
  });

  void it('spreads reads over ticks of the interval: all on the first tick, quiet ones every QUIET_MAX_MS', () => {
    assert.equal(ticksPerRead('interval', 1000), 1);
    assert.equal(ticksPerRead('watched', 1000), WATCHED_MAX_MS / 1000);
    assert.equal(ticksPerRead('quiet', 1000), QUIET_MAX_MS / 1000);
    assert.equal(ticksPerRead('quiet', 60_000), 1, 'an interval longer than QUIET_MAX_MS reads everything every tick');
    const due = (cadence: 'interval' | 'watched' | 'quiet'): number[] => Array.from({ length: 61 }, (_, t) => t).filter((t) => isDue(cadence, t, 1000));
    assert.equal(due('interval').length, 61);
    assert.deepEqual(due('watched').slice(0, 3), [0, WATCHED_MAX_MS / 1000, (2 * WATCHED_MAX_MS) / 1000]);
    assert.deepEqual(due('quiet'), [0, 30, 60]);
    assert.equal(isFullPass(0, 1000), true);
    assert.equal(isFullPass(29, 1000), false);
    assert.equal(isFullPass(30, 1000), true);
  });
});
