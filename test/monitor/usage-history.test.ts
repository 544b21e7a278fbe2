/**
 * The dashboard's usage rings: oldest first, bounded, summed per pass, forgotten once an instance
 * stops being sampled, and with `top` only the busiest instances (by CPU and by memory) while the
 * total still covers every instance.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUsageHistory } from '../../src/monitor/usage-history.ts';
import type { SampledUsage } from '../../src/model/usage.ts';

const sample = (object: string, id: string, cpu: number, memory: number): SampledUsage => ({ object, id, pid: 1, usage: { cpu, memory, fds: 3, threads: 1, sockets: 0 } });

void describe('usage history', () => {
  void it('keeps the last points per instance, oldest first, and sums each pass', () => {
    const h = createUsageHistory(3);
    for (let t = 1; t <= 4; t++) h.record([sample('process/web', 'web-0', t, 100 * t), sample('process/web', 'web-1', 1, 10), sample('process/db', 'db-0', 9, 9)], t * 1000);
    const web = h.series('process/web');
    assert.deepEqual(web.instances.map((s) => s.id), ['web-0', 'web-1']);
    assert.deepEqual(web.instances[0], { id: 'web-0', t: [2000, 3000, 4000], cpu: [2, 3, 4], memory: [200, 300, 400] });
    assert.deepEqual(web.total, { id: 'total', t: [2000, 3000, 4000], cpu: [3, 4, 5], memory: [210, 310, 410] });
    assert.deepEqual(h.series('process/none').instances, []);
  });

  void it('grows a ring as it fills, in order, up to its bound, and keeps memory exact in whole pages', () => {
    const grown = createUsageHistory(600);
    for (let t = 1; t <= 40; t++) grown.record([sample('process/web', 'web-0', t / 10, t * 4096 * 1000)], t);
    const web = grown.series('process/web').instances[0];
    assert.deepEqual(web?.t, Array.from({ length: 40 }, (_, k) => k + 1));
    assert.deepEqual(web?.memory.slice(-2), [39 * 4096 * 1000, 40 * 4096 * 1000]);
    assert.equal(web?.cpu.at(-1), 4);
    const bounded = createUsageHistory(20);
    for (let t = 1; t <= 50; t++) bounded.record([sample('process/web', 'web-0', 1, 2 ** 35)], t);
    assert.deepEqual(bounded.series('process/web').total.t, Array.from({ length: 20 }, (_, k) => k + 31));
    assert.equal(bounded.series('process/web').instances[0]?.memory[0], 2 ** 35, '32 GiB');
  });

  void it('with top, shows the busiest by CPU and by memory, and totals every instance', () => {
    const h = createUsageHistory();
    const samples = Array.from({ length: 20 }, (_, i) => sample('process/big', `big-${i}`, i === 3 ? 50 : i === 7 ? 40 : 0, i === 12 ? 900 : 100));
    h.record(samples, 1000);
    const usage = h.series('process/big', 2);
    assert.deepEqual(usage.instances.map((s) => s.id), ['big-0', 'big-3', 'big-7', 'big-12']);
    assert.deepEqual(usage.total.cpu, [90]);
    assert.deepEqual(usage.total.memory, [19 * 100 + 900]);
  });

  void it('forgets an instance that is no longer sampled', () => {
    const h = createUsageHistory();
    h.record([sample('process/web', 'web-0', 1, 1), sample('process/web', 'web-1', 1, 1)], 0);
    for (let pass = 1; pass <= 60; pass++) h.record([sample('process/web', 'web-0', 1, 1)], pass * 1000);
    assert.deepEqual(h.series('process/web').instances.map((s) => s.id), ['web-0']);
  });
});
