/**
 * One sampling pass: over the pids in `/proc`, the members of each running instance's process
 * group (children and grandchildren included) are read (stat, fd links, io) and summed into a
 * {@link ResourceUsage} per instance. Pure over its {@link ProcSource}; taken whole
 * ({@link sampleOnce}) or in steps ({@link beginSample}) so a large machine never holds the loop.
 * Must not: keep timers, make decisions, or write anything.
 */
import type { ObjectKey } from '../model/object.ts';
import type { ResourceUsage, SampledUsage } from '../model/usage.ts';
import { groupUsage, needsDetail, pidSample, type PidDetail, type PidSample } from './pid-usage.ts';
import { countSockets, parseIo, parseStatUsage, parseUptimeMs } from './proc-parse.ts';
import type { ProcSource } from './proc-reader.ts';

/** An instance to sample: the leader of its own process group. */
export interface SampledInstance {
  readonly object: ObjectKey;
  readonly id: string;
  readonly pid: number;
  /** The leader's start time in clock ticks since boot; a reused pid does not match. */
  readonly startTicks: number;
  /** Passed through to the pass's samples for the controller's judgement (the revision it runs). */
  readonly specHash?: string;
  /** Passed through to the pass's samples for the controller's judgement. */
  readonly enforcement?: SampledUsage['enforcement'];
}

/** The latest sample of one instance. */
export interface InstanceSample {
  readonly pid: number;
  readonly usage: ResourceUsage;
}

/** What one sample leaves for the next. */
export interface SamplerState {
  /** How many samples were taken before this one. */
  readonly round: number;
  /** The process group of every pid seen, so processes outside every instance's group are read once. */
  readonly pgids: ReadonlyMap<number, number>;
  /** The members of the sampled groups. */
  readonly pids: ReadonlyMap<number, PidSample>;
  /** Keyed by {@link sampleKey}. */
  readonly instances: ReadonlyMap<string, InstanceSample>;
}

/** The state before the first sample. */
export const NO_SAMPLES: SamplerState = { round: 0, pgids: new Map(), pids: new Map(), instances: new Map() };

/** The key of an instance's sample. */
export function sampleKey(object: ObjectKey, id: string): string {
  return `${object}\0${id}`;
}

/**
 * Samples every instance once. Instances whose leader is gone, a zombie, or a different process
 * (pid reused) get no sample.
 */
export function sampleOnce(source: ProcSource, instances: Iterable<SampledInstance>, state: SamplerState): SamplerState {
  const pass = beginSample(source, instances, state);
  for (;;) {
    const done = pass.step(Infinity);
    if (done) return done;
  }
}

/** A sampling pass taken in steps, so a machine with many processes never holds the loop long. */
export interface SamplePass {
  /** Reads up to `maxPids` more processes; the new state once every process was read. */
  step(maxPids: number): SamplerState | undefined;
}

/**
 * Begins a pass over every process: each pid's group (read once, then remembered), and a fresh
 * sample of every live member of a wanted group. A remembered group can only be wrong for a pid
 * reused since the previous sample: instance groups are sessions of their own, so no other
 * process joins. Each step reads the time again, so a member's rate is over its own interval.
 *
 * `carried` instances are not read: their previous sample and their members' samples are kept
 * as they were while their leader lives (the sampler's schedule for quiet instances).
 */
export function beginSample(source: ProcSource, instances: Iterable<SampledInstance>, state: SamplerState, carried: Iterable<SampledInstance> = []): SamplePass {
  const leaders = new Map<number, SampledInstance>();
  for (const instance of instances) if (instance.pid > 0) leaders.set(instance.pid, instance);
  const kept = new Map<number, SampledInstance>();
  for (const instance of carried) if (instance.pid > 0 && !leaders.has(instance.pid)) kept.set(instance.pid, instance);
  const all = leaders.size === 0 && kept.size === 0 ? [] : source.pids();
  const scan: Scan = { pgids: new Map(), pids: new Map(), groups: new Map(), kept };
  let next = 0;
  return {
    step(maxPids) {
      const now = parseUptimeMs(source.uptime() ?? '');
      if (now === undefined) return state;
      const end = Math.min(all.length, next + maxPids);
      for (; next < end; next++) scanPid(source, all[next] ?? 0, leaders, state, now, scan);
      return next < all.length ? undefined : finishSample(source, leaders, state, scan);
    },
  };
}

interface Scan {
  readonly pgids: Map<number, number>;
  readonly pids: Map<number, PidSample>;
  readonly groups: Map<number, PidSample[]>;
  /** Leaders of the carried groups. */
  readonly kept: ReadonlyMap<number, SampledInstance>;
}

function finishSample(source: ProcSource, leaders: ReadonlyMap<number, SampledInstance>, state: SamplerState, scan: Scan): SamplerState {
  source.retain(scan.pids);
  const pageSize = source.pageSize();
  const samples = new Map<string, InstanceSample>();
  for (const [pid, instance] of leaders) {
    const members = scan.groups.get(pid);
    if (!members || scan.pids.get(pid)?.stat.startTicks !== instance.startTicks) continue;
    samples.set(sampleKey(instance.object, instance.id), { pid, usage: groupUsage(members, pageSize) });
  }
  for (const [pid, instance] of scan.kept) {
    const key = sampleKey(instance.object, instance.id);
    const before = state.instances.get(key);
    if (before?.pid === pid && scan.pids.has(pid)) samples.set(key, before);
  }
  return { round: state.round + 1, pgids: scan.pgids, pids: scan.pids, instances: samples };
}

function scanPid(source: ProcSource, pid: number, wanted: ReadonlyMap<number, unknown>, state: SamplerState, now: number, scan: Scan): void {
  const { pgids, pids, groups } = scan;
  const known = state.pgids.get(pid);
  if (known !== undefined && scan.kept.has(known)) return carryPid(pid, known, state, scan);
  const stat = known === undefined || wanted.has(known) ? parseStatUsage(source.stat(pid, known !== undefined) ?? '') : undefined;
  const pgid = stat?.pgid ?? known;
  if (pgid === undefined) return;
  pgids.set(pid, pgid);
  if (!stat || !wanted.has(pgid) || stat.state === 'Z' || stat.state === 'X') return;
  const before = state.pids.get(pid);
  const detail = needsDetail(stat, before, now) ? readDetail(source, pid) : undefined;
  const sample = pidSample(stat, before, now, detail);
  pids.set(pid, sample);
  const members = groups.get(pgid);
  if (members) members.push(sample);
  else groups.set(pgid, [sample]);
}

// A member of a carried group keeps its sample unread (its held stat file stays open too).
function carryPid(pid: number, pgid: number, state: SamplerState, scan: Scan): void {
  scan.pgids.set(pid, pgid);
  const before = state.pids.get(pid);
  if (before) scan.pids.set(pid, before);
}

function readDetail(source: ProcSource, pid: number): PidDetail {
  const links = source.fdLinks(pid) ?? [];
  const io = parseIo(source.io(pid) ?? '');
  return io ? { fds: links.length, sockets: countSockets(links), io } : { fds: links.length, sockets: countSockets(links) };
}
