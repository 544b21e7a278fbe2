/** Per-process rates between two samples and their sum over a process group. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DETAIL_MAX_AGE_MS, groupUsage, needsDetail, pidSample } from '../../src/monitor/pid-usage.ts';
import type { StatUsage } from '../../src/monitor/proc-parse.ts';

const stat = (cpuTicks: number, over: Partial<StatUsage> = {}): StatUsage => ({ state: 'S', pgid: 10, startTicks: 1000, cpuTicks, threads: 1, rssPages: 100, ...over });
const detail = (write = 0, read = 0) => ({ fds: 3, sockets: 1, io: { readBytes: read, writeBytes: write } });

void it('CPU is the growth of utime+stime over the wall time between two samples', () => {
  const first = pidSample(stat(500), undefined, 20_000, detail());
  // 500 ticks (5 s) over a life of 20 s - 10 s (started at tick 1000) = 50 %.
  assert.equal(first.cpu, 50);
  const second = pidSample(stat(575), first, 21_000, detail());
  assert.equal(second.cpu, 75);
  const spinning = pidSample(stat(675), second, 22_000, detail());
  assert.equal(spinning.cpu, 100);
});

void it('a process seen within a tick of its start is averaged over at least 100 ms, not over nothing', () => {
  const newborn = pidSample(stat(2), undefined, 10_000, detail(4096));
  assert.equal(newborn.cpu, 20);
  assert.equal(newborn.writeBps, 40_960);
});

void it('disk rates are the growth of read_bytes and write_bytes since the detail was last read', () => {
  const first = pidSample(stat(0), undefined, 12_000, detail(2_000_000, 0));
  assert.equal(first.writeBps, 1_000_000);
  const idle = pidSample(stat(0), first, 13_000, undefined);
  assert.equal(idle.writeBps, first.writeBps, 'an unread detail keeps its last figures');
  const later = pidSample(stat(10), idle, 14_000, detail(6_000_000, 1_000_000));
  assert.equal(later.writeBps, 2_000_000, 'over the 2 s since the last read');
  assert.equal(later.readBps, 500_000);
});

void it('a reused pid (another start time) starts over instead of subtracting the old counters', () => {
  const old = pidSample(stat(900), undefined, 20_000, detail(5_000_000));
  const reused = pidSample(stat(10, { startTicks: 1900 }), old, 20_000, detail(0));
  assert.equal(reused.cpu, 10);
  assert.equal(reused.writeBps, 0);
});

void it('details are read when the process ran, is new or another process, or once they are DETAIL_MAX_AGE_MS old', () => {
  const before = pidSample(stat(5), undefined, 20_000, detail());
  assert.equal(needsDetail(stat(5), undefined, 21_000), true);
  assert.equal(needsDetail(stat(6), before, 21_000), true);
  assert.equal(needsDetail(stat(5, { startTicks: 2 }), before, 21_000), true);
  assert.equal(needsDetail(stat(5), before, 20_000 + DETAIL_MAX_AGE_MS - 1), false, 'an idle process keeps its details');
  assert.equal(needsDetail(stat(5), before, 20_000 + DETAIL_MAX_AGE_MS), true);
});

void it('sums a group and leaves disk rates out when no member io was readable', () => {
  const a = pidSample(stat(0, { threads: 4, rssPages: 10 }), undefined, 11_000, detail(1000));
  const b = pidSample(stat(0, { threads: 2, rssPages: 30 }), undefined, 11_000, { fds: 5, sockets: 2 });
  assert.deepEqual(groupUsage([a, b], 4096), { cpu: 0, memory: 40 * 4096, fds: 8, threads: 6, sockets: 3, diskReadBps: 0, diskWriteBps: 1000 });
  assert.deepEqual(groupUsage([b], 4096), { cpu: 0, memory: 30 * 4096, fds: 5, threads: 2, sockets: 2 });
});
