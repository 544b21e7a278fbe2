/**
 * The resource sampler: every interval, one pass over the pids in `/proc` finds the members of each
 * running instance's process group (children and grandchildren included), reads them (stat, fd
 * links, io) and sums them into a {@link ResourceUsage}. Only the latest sample per instance is
 * kept, in memory.
 *
 * Owns: the sampling timer and the latest samples. Must not: make decisions (limits and their
 * actions belong to the controller), write anything, or spawn processes.
 */
import type { ObjectKey } from '../model/object.ts';
import type { ResourceUsage, SampledUsage } from '../model/usage.ts';
import type { Cancel, Clock } from '../platform/clock.ts';
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
  const now = parseUptimeMs(source.uptime() ?? '');
  if (now === undefined) return state;
  const leaders = new Map<number, SampledInstance>();
  for (const instance of instances) if (instance.pid > 0) leaders.set(instance.pid, instance);
  const scan = scanGroups(source, leaders, state, now);
  source.retain(scan.pids);
  const pageSize = source.pageSize();
  const samples = new Map<string, InstanceSample>();
  for (const [pid, instance] of leaders) {
    const members = scan.groups.get(pid);
    if (!members || scan.pids.get(pid)?.stat.startTicks !== instance.startTicks) continue;
    samples.set(sampleKey(instance.object, instance.id), { pid, usage: groupUsage(members, pageSize) });
  }
  return { round: state.round + 1, pgids: scan.pgids, pids: scan.pids, instances: samples };
}

// One pass over every process: each pid's group (read once, then remembered), and a fresh sample
// of every live member of a wanted group. A remembered group can only be wrong for a pid reused
// since the previous sample: instance groups are sessions of their own, so no other process joins.
function scanGroups(source: ProcSource, wanted: ReadonlyMap<number, unknown>, state: SamplerState, now: number) {
  const pgids = new Map<number, number>();
  const pids = new Map<number, PidSample>();
  const groups = new Map<number, PidSample[]>();
  for (const pid of wanted.size === 0 ? [] : source.pids()) {
    const known = state.pgids.get(pid);
    const stat = known === undefined || wanted.has(known) ? parseStatUsage(source.stat(pid, known !== undefined) ?? '') : undefined;
    const pgid = stat?.pgid ?? known;
    if (pgid === undefined) continue;
    pgids.set(pid, pgid);
    if (!stat || !wanted.has(pgid) || stat.state === 'Z' || stat.state === 'X') continue;
    const before = state.pids.get(pid);
    const detail = needsDetail(pid, stat, before, state.round) ? readDetail(source, pid) : undefined;
    const sample = pidSample(stat, before, now, detail);
    pids.set(pid, sample);
    const members = groups.get(pgid);
    if (members) members.push(sample);
    else groups.set(pgid, [sample]);
  }
  return { pgids, pids, groups };
}

function readDetail(source: ProcSource, pid: number): PidDetail {
  const links = source.fdLinks(pid) ?? [];
  const io = parseIo(source.io(pid) ?? '');
  return io ? { fds: links.length, sockets: countSockets(links), io } : { fds: links.length, sockets: countSockets(links) };
}

const NO_PIDS: ReadonlySet<number> = new Set();

// The pass's samples with the instance each belongs to.
function samplesOf(instances: readonly SampledInstance[], state: SamplerState): SampledUsage[] {
  const samples: SampledUsage[] = [];
  for (const { object, id, enforcement } of instances) {
    const sample = state.instances.get(sampleKey(object, id));
    if (!sample) continue;
    samples.push(enforcement ? { object, id, pid: sample.pid, usage: sample.usage, enforcement } : { object, id, pid: sample.pid, usage: sample.usage });
  }
  return samples;
}

/** Options of {@link createSampler}. */
export interface SamplerOptions {
  readonly clock: Clock;
  readonly source: ProcSource;
  /** The instances to sample now (running or stopping). */
  readonly instances: () => Iterable<SampledInstance>;
  /** Given every sample of a pass, once the pass is done (the controller judges limits on it). */
  readonly onSample?: (samples: readonly SampledUsage[]) => void;
}

/** A sampling loop; idle until started with a non-zero interval. */
export interface Sampler {
  /** Sets the interval (0 turns sampling off and forgets every sample). */
  configure(intervalMs: number): void;
  /** Starts sampling at the configured interval. */
  start(): void;
  /** The latest usage of the instance when its sample is of this pid. */
  usage(object: ObjectKey, id: string, pid: number): ResourceUsage | undefined;
  close(): void;
}

/**
 * Creates a sampler.
 * @example
 * const sampler = createSampler({ clock, source: procSource, instances: () => executor.snapshot() });
 * sampler.configure(1000);
 * sampler.start();
 */
export function createSampler(options: SamplerOptions): Sampler {
  const { clock, source } = options;
  let intervalMs = 0;
  let started = false;
  let cancel: Cancel | undefined;
  let state = NO_SAMPLES;
  const tick = (): void => {
    const instances = [...options.instances()];
    state = sampleOnce(source, instances, state);
    if (options.onSample) options.onSample(samplesOf(instances, state));
    cancel = clock.after(intervalMs, tick);
  };
  const reschedule = (): void => {
    cancel?.();
    cancel = undefined;
    if (started && intervalMs > 0) {
      cancel = clock.after(0, tick);
      return;
    }
    state = NO_SAMPLES;
    source.retain(NO_PIDS);
  };
  return {
    configure(ms) {
      if (ms === intervalMs) return;
      intervalMs = ms;
      reschedule();
    },
    start() {
      started = true;
      reschedule();
    },
    usage(object, id, pid) {
      const sample = state.instances.get(sampleKey(object, id));
      return sample?.pid === pid ? sample.usage : undefined;
    },
    close() {
      started = false;
      reschedule();
    },
  };
}
