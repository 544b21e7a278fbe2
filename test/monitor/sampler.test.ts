/** The sampler over a fake /proc: group membership, pid reuse, read counts and the timer. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createSampler, QUIET_MAX_MS, STEP_PIDS, WATCHED_MAX_MS } from '../../src/monitor/sampler.ts';
import type { SampleWatch } from '../../src/monitor/sample-schedule.ts';
import type { SampledUsage } from '../../src/model/usage.ts';
import { NO_SAMPLES, sampleKey, sampleOnce, type SampledInstance } from '../../src/monitor/sample-pass.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';
import { fakeProc, type FakeProcess } from './fake-proc.ts';

const web: SampledInstance = { object: 'process/web', id: 'web-0', pid: 100, startTicks: 500 };

function world(): FakeProcess[] {
  return [
    { pid: 1, pgid: 1, utime: 9999, rssPages: 999 },
    { pid: 100, pgid: 100, start: 500, utime: 100, threads: 2, rssPages: 1000, links: ['/dev/null', 'socket:[1]'], io: { read: 0, write: 0 } },
    { pid: 101, pgid: 100, start: 600, utime: 50, threads: 3, rssPages: 2000, links: ['socket:[2]', 'socket:[3]'], io: { read: 0, write: 0 } },
    { pid: 102, pgid: 100, start: 700, threads: 1, rssPages: 500, links: ['/tmp/x'] },
    { pid: 103, pgid: 100, state: 'Z', threads: 0 },
    { pid: 200, pgid: 200, utime: 5000, rssPages: 7777 },
  ];
}

void it('counts every live member of the instance group: children and grandchildren, not zombies or strangers', () => {
  const uptime = { value: 20_000 };
  const state = sampleOnce(fakeProc(world(), uptime), [web], NO_SAMPLES);
  const usage = state.instances.get(sampleKey('process/web', 'web-0'))?.usage;
  assert.deepEqual(usage && { ...usage, cpu: undefined }, { cpu: undefined, memory: 3500 * 4096, fds: 5, threads: 6, sockets: 3, diskReadBps: 0, diskWriteBps: 0 });
});

void it('CPU is the growth between two samples, summed over the group', () => {
  const procs = world();
  const uptime = { value: 20_000 };
  const source = fakeProc(procs, uptime);
  const first = sampleOnce(source, [web], NO_SAMPLES);
  uptime.value += 1000;
  procs[1]!.utime = 160;
  procs[2]!.utime = 90;
  const second = sampleOnce(source, [web], first);
  assert.equal(second.instances.get(sampleKey('process/web', 'web-0'))?.usage.cpu, 100);
});

void it('gives no sample when the leader is gone or its pid now names another process', () => {
  const uptime = { value: 20_000 };
  assert.equal(sampleOnce(fakeProc(world(), uptime), [{ ...web, startTicks: 499 }], NO_SAMPLES).instances.size, 0);
  const without = world().filter((p) => p.pid !== 100);
  assert.equal(sampleOnce(fakeProc(without, uptime), [web], NO_SAMPLES).instances.size, 0);
});

void it('reads a process outside every instance group once, and an idle member without its details', () => {
  const uptime = { value: 20_000 };
  const source = fakeProc(world(), uptime);
  const state = sampleOnce(source, [web], NO_SAMPLES);
  const first = { ...source.reads };
  assert.equal(first.stat, 6);
  sampleOnce(source, [web], state);
  assert.equal(source.reads.stat - first.stat, 4, 'members only (the zombie too)');
  assert.ok(source.reads.detail - first.detail <= 1, 'idle members keep their details');
});

void it('samples on the clock at the configured interval; 0 turns it off and forgets samples', () => {
  const clock = createFakeClock();
  const uptime = { value: 20_000 };
  const source = fakeProc(world(), uptime);
  const sampler = createSampler({ clock, source, instances: () => [web], watches: () => () => ({ autoscaled: true }) });
  sampler.configure(1000);
  clock.advance(5000);
  assert.equal(source.reads.stat, 0, 'idle until started');
  sampler.start();
  clock.advance(0);
  assert.equal(sampler.usage('process/web', 'web-0', 100)?.threads, 6);
  assert.equal(sampler.usage('process/web', 'web-0', 999), undefined, 'a sample of another pid is not shown');
  clock.advance(3000);
  assert.equal(source.reads.stat, 6 + 3 * 4);
  sampler.configure(0);
  assert.equal(sampler.usage('process/web', 'web-0', 100), undefined);
  clock.advance(5000);
  assert.equal(source.reads.stat, 18);
  sampler.close();
});

void it('reads a large machine in steps of STEP_PIDS processes, one per turn, then hands the pass on', () => {
  const clock = createFakeClock();
  const uptime = { value: 20_000 };
  const strangers: FakeProcess[] = Array.from({ length: 2 * STEP_PIDS }, (_, i) => ({ pid: 1000 + i, pgid: 1000 + i }));
  const source = fakeProc([...world(), ...strangers], uptime);
  const passes: number[] = [];
  let turns = 0;
  const counting = { now: () => clock.now(), after: (ms: number, fn: () => void) => (ms === 0 && turns++, clock.after(ms, fn)) };
  const sampler = createSampler({ clock: counting, source, instances: () => [web], onSample: (samples) => passes.push(samples.length) });
  sampler.configure(1000);
  sampler.start();
  const before = source.reads.stat;
  clock.advance(0);
  assert.equal(turns, 3, 'one turn to begin, then one more per step: 2 x STEP_PIDS + 6 processes take three steps');
  assert.equal(source.reads.stat - before, 6 + 2 * STEP_PIDS);
  assert.deepEqual(passes, [1]);
  const whole = sampleOnce(fakeProc([...world(), ...strangers], uptime), [web], NO_SAMPLES);
  assert.deepEqual(sampler.usage('process/web', 'web-0', 100), whole.instances.get(sampleKey('process/web', 'web-0'))?.usage);
  sampler.close();
});

// Two instances in groups of their own; `busy` uses CPU between samples when told to.
function quietWorld(): { procs: FakeProcess[]; idle: SampledInstance; busy: SampledInstance } {
  const procs: FakeProcess[] = [
    { pid: 1, pgid: 1, utime: 9999 },
    { pid: 300, pgid: 300, start: 500, utime: 100, rssPages: 100, links: [] },
    { pid: 400, pgid: 400, start: 500, utime: 100, rssPages: 100, links: [] },
  ];
  return { procs, idle: { object: 'process/idle', id: 'idle-0', pid: 300, startTicks: 500 }, busy: { object: 'process/busy', id: 'busy-0', pid: 400, startTicks: 500 } };
}

void it('reads a quiet instance only on a full pass, keeps its sample, and reads nothing on a tick with no hot instance', () => {
  const clock = createFakeClock();
  const uptime = { value: 20_000 };
  const { procs, idle } = quietWorld();
  const source = fakeProc(procs, uptime);
  let listings = 0;
  const counted = { ...source, pids: () => (listings++, source.pids()) };
  const passes: SampledUsage[][] = [];
  const sampler = createSampler({ clock, source: counted, instances: () => [idle], onSample: (samples) => passes.push([...samples]) });
  sampler.configure(1000);
  sampler.start();
  clock.advance(0);
  uptime.value += 1000;
  clock.advance(1000);
  assert.equal(listings, 2, 'first sample (lifetime CPU), then once more to see it idle');
  assert.equal(sampler.usage('process/idle', 'idle-0', 300)?.cpu, 0);
  const reads = source.reads.stat;
  for (let t = 2; t < QUIET_MAX_MS / 1000; t++) {
    uptime.value += 1000;
    clock.advance(1000);
  }
  assert.equal(source.reads.stat, reads, 'no /proc read while it stays quiet');
  assert.equal(listings, 2);
  assert.equal(sampler.usage('process/idle', 'idle-0', 300)?.memory, 100 * 4096, 'its last sample is still shown');
  procs[1]!.rssPages = 300;
  uptime.value += 1000;
  clock.advance(1000);
  assert.equal(listings, 3, `a full pass every ${QUIET_MAX_MS} ms`);
  assert.equal(sampler.usage('process/idle', 'idle-0', 300)?.memory, 300 * 4096);
  assert.equal(passes.length, 3);
  sampler.close();
});

void it('a tick before the next due one looks at no instance while the instances, watches and samples stay the same', () => {
  const clock = createFakeClock();
  const uptime = { value: 20_000 };
  const { procs, idle } = quietWorld();
  const instances = [idle];
  let asked = 0;
  const watchOf = (): SampleWatch | undefined => (asked++, undefined);
  const sampler = createSampler({ clock, source: fakeProc(procs, uptime), instances: () => instances, watches: () => watchOf });
  sampler.configure(1000);
  sampler.start();
  clock.advance(0);
  uptime.value += 1000;
  clock.advance(1000);
  const before = asked;
  for (let t = 2; t < QUIET_MAX_MS / 1000; t++) {
    uptime.value += 1000;
    clock.advance(1000);
  }
  assert.equal(asked - before, 1, 'one look finds the next due tick; the ticks until then ask nothing');
  assert.equal(sampler.usage('process/idle', 'idle-0', 300)?.cpu, 0);
  sampler.close();
});

void it('reads a busy instance every interval beside a quiet one, and hands on the kept sample of the quiet one', () => {
  const clock = createFakeClock();
  const uptime = { value: 20_000 };
  const { procs, idle, busy } = quietWorld();
  const source = fakeProc(procs, uptime);
  const passes: SampledUsage[][] = [];
  const sampler = createSampler({ clock, source, instances: () => [idle, busy], onSample: (samples) => passes.push([...samples]) });
  sampler.configure(1000);
  sampler.start();
  clock.advance(0);
  for (let t = 1; t <= 4; t++) {
    uptime.value += 1000;
    procs[2]!.utime = 100 + 10 * t;
    clock.advance(1000);
  }
  assert.equal(passes.length, 5, 'a pass every interval while one instance is busy');
  assert.equal(sampler.usage('process/busy', 'busy-0', 400)?.cpu, 10);
  assert.deepEqual(passes.at(-1)?.map((s) => s.id).sort(), ['busy-0', 'idle-0'], 'the quiet instance keeps its sample in every pass');
  const idleReads = passes.slice(2).map((p) => p.find((s) => s.id === 'idle-0')?.usage);
  assert.ok(idleReads.every((u) => u === idleReads[0]), 'carried, not read again');
  sampler.close();
});

// Runs the sampler at 1 s over `idle` watched by `watch`, for `seconds` ticks after the first; the
// memory of each pass, and the tick (from 0) at which each pass was taken.
function watchedRun(watch: SampleWatch | undefined, seconds: number, change: (t: number, procs: FakeProcess[]) => void): { memory: number[]; ticks: number[] } {
  const clock = createFakeClock();
  const uptime = { value: 20_000 };
  const { procs, idle } = quietWorld();
  const memory: number[] = [];
  const ticks: number[] = [];
  let t = 0;
  const sampler = createSampler({ clock, source: fakeProc(procs, uptime), instances: () => [idle], watches: () => () => watch, onSample: (samples) => (memory.push(samples[0]?.usage.memory ?? 0), ticks.push(t)) });
  sampler.configure(1000);
  sampler.start();
  clock.advance(0);
  for (t = 1; t <= seconds; t++) {
    change(t, procs);
    uptime.value += 1000;
    clock.advance(1000);
  }
  sampler.close();
  return { memory, ticks };
}

void it('reads an idle instance with limits far from them every WATCHED_MAX_MS, so a breach is seen within that', () => {
  const every = WATCHED_MAX_MS / 1000;
  const limits = { memory: 100 * 4096 * 100 };
  const { memory, ticks } = watchedRun({ limits, warnAt: 0.8 }, 2 * every + 1, (t, procs) => {
    if (t === every + 2) procs[1]!.rssPages = 100 * 200;
  });
  assert.deepEqual(ticks, [0, 1, every, 2 * every, 2 * every + 1], 'first sample, the one that sees it idle, every WATCHED_MAX_MS, then every interval once near');
  assert.equal(memory[3], 100 * 200 * 4096, 'the jump to twice the limit is read at the next watched tick');
});

void it('reads an instance near a limit, or with an open alert, every interval', () => {
  const near = watchedRun({ limits: { memory: 100 * 4096 * 2 }, warnAt: 0.8 }, 4, () => undefined);
  assert.deepEqual(near.ticks, [0, 1, 2, 3, 4], 'memory at half the limit: past half the alert threshold');
  const alerting = watchedRun({ limits: { memory: 10 ** 12 }, alerting: true }, 4, () => undefined);
  assert.deepEqual(alerting.ticks, [0, 1, 2, 3, 4]);
  const quiet = watchedRun(undefined, 4, () => undefined);
  assert.deepEqual(quiet.ticks, [0, 1], 'nothing watches it: read on full passes only');
});

void it('hands on the revision each instance runs, and asks what watches that revision', () => {
  const clock = createFakeClock();
  const uptime = { value: 20_000 };
  const { procs, idle } = quietWorld();
  const old = { ...idle, specHash: 'h-old' };
  const asked: string[] = [];
  const passes: SampledUsage[][] = [];
  const watchOf = (object: string, specHash: string | undefined): SampleWatch | undefined => (asked.push(`${object} ${specHash}`), specHash === 'h-old' ? { autoscaled: true } : undefined);
  const sampler = createSampler({ clock, source: fakeProc(procs, uptime), instances: () => [old], watches: () => watchOf, onSample: (samples) => passes.push([...samples]) });
  sampler.configure(1000);
  sampler.start();
  clock.advance(0);
  for (let t = 1; t <= 3; t++) {
    uptime.value += 1000;
    clock.advance(1000);
  }
  assert.equal(passes.length, 4, 'a watched revision is read every interval, idle or not');
  assert.deepEqual(passes.map((p) => p[0]?.specHash), ['h-old', 'h-old', 'h-old', 'h-old']);
  assert.ok(asked.length > 0 && asked.every((a) => a === 'process/idle h-old'), asked.join(', '));
  sampler.close();
});

void it('drops the kept sample of a quiet instance whose process is gone', () => {
  const clock = createFakeClock();
  const uptime = { value: 20_000 };
  const { procs, idle, busy } = quietWorld();
  const source = fakeProc(procs, uptime);
  const sampler = createSampler({ clock, source, instances: () => [idle, busy], watches: () => (object) => (object === 'process/busy' ? { autoscaled: true } : undefined) });
  sampler.configure(1000);
  sampler.start();
  clock.advance(0);
  uptime.value += 1000;
  clock.advance(1000);
  assert.ok(sampler.usage('process/idle', 'idle-0', 300));
  procs.splice(1, 1);
  uptime.value += 1000;
  clock.advance(1000);
  assert.equal(sampler.usage('process/idle', 'idle-0', 300), undefined);
  sampler.close();
});
