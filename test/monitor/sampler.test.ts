/** The sampler over a fake /proc: group membership, pid reuse, read counts and the timer. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createSampler, STEP_PIDS } from '../../src/monitor/sampler.ts';
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
  const sampler = createSampler({ clock, source, instances: () => [web] });
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
