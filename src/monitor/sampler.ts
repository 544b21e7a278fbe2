/**
 * The resource sampler: every interval, one pass over the pids in `/proc` (sample-pass.ts), read
 * in steps of {@link STEP_PIDS} processes per turn of the event loop; the pass's samples go to
 * `onSample`. Only the latest sample per instance is kept, in memory.
 *
 * Adaptive schedule: an instance is read every interval while it is *hot* (its object is watched,
 * i.e. has resource limits or CPU autoscaling; it has no sample of its current pid yet; or its
 * process group used CPU since the sample before). A *quiet* instance (no CPU time since its last
 * sample) keeps its last sample and is read again on the next *full* pass, every
 * {@link QUIET_MAX_MS} (every interval when the interval is longer). A tick with no hot instance
 * and no full pass due reads nothing at all. So limits and alerts are judged every interval, and
 * the figures of an idle instance without limits are at most QUIET_MAX_MS old.
 *
 * Owns: the sampling timer and the latest samples. Must not: make decisions (limits and their
 * actions belong to the controller), write anything, or spawn processes.
 */
import type { ObjectKey } from '../model/object.ts';
import type { ResourceUsage, SampledUsage } from '../model/usage.ts';
import type { Cancel, Clock } from '../platform/clock.ts';
import type { ProcSource } from './proc-reader.ts';
import { beginSample, NO_SAMPLES, sampleKey, type SampledInstance, type SamplerState } from './sample-pass.ts';

const NO_PIDS: ReadonlySet<number> = new Set();

/**
 * Processes read per turn of the event loop: about 1.2 ms of reading on a 2-core machine (the
 * first turn also lists /proc, about 1.3 ms more), so a pass over 1,000 instances (15-30 ms in
 * one piece) never delays a restart by more than a few ms.
 */
export const STEP_PIDS = 100;

/** How old the sample of a quiet instance may grow: a full pass reads every instance this often. */
export const QUIET_MAX_MS = 10_000;

/** Every how many ticks a full pass is due at `intervalMs`. */
export function fullPassEvery(intervalMs: number): number {
  return Math.max(1, Math.floor(QUIET_MAX_MS / Math.max(1, intervalMs)));
}

// True when the instance must be read this tick: watched, new (no sample of its pid), or busy.
function isHot(instance: SampledInstance, state: SamplerState, watched: Watched): boolean {
  const sample = state.instances.get(keyOf(instance));
  return sample?.pid !== instance.pid || sample.usage.cpu > 0 || watched(instance.object, instance.specHash);
}

/** Whether an instance of `object` running revision `specHash` is read every interval. */
type Watched = (object: ObjectKey, specHash: string | undefined) => boolean;

// Sample keys per instance record: the executor hands out the same records until they change,
// so a quiet tick builds no string.
const keys = new WeakMap<SampledInstance, string>();
function keyOf(instance: SampledInstance): string {
  let key = keys.get(instance);
  if (key === undefined) keys.set(instance, (key = sampleKey(instance.object, instance.id)));
  return key;
}

// The pass's samples with the instance each belongs to.
function samplesOf(instances: readonly SampledInstance[], state: SamplerState): SampledUsage[] {
  const samples: SampledUsage[] = [];
  for (const instance of instances) {
    const { object, id, specHash, enforcement } = instance;
    const sample = state.instances.get(keyOf(instance));
    if (!sample) continue;
    const base: SampledUsage = specHash === undefined ? { object, id, pid: sample.pid, usage: sample.usage } : { object, id, pid: sample.pid, specHash, usage: sample.usage };
    samples.push(enforcement ? { ...base, enforcement } : base);
  }
  return samples;
}

// The instances read this tick (all of them on a full pass) and those whose samples are kept;
// undefined when nothing is due, found without allocating (most ticks of an idle machine).
function splitDue(instances: readonly SampledInstance[], full: boolean, state: SamplerState, watched: Watched): { due: readonly SampledInstance[]; carried: SampledInstance[] } | undefined {
  if (full) return instances.length === 0 ? undefined : { due: instances, carried: [] };
  if (!instances.some((instance) => isHot(instance, state, watched))) return undefined;
  const due: SampledInstance[] = [];
  const carried: SampledInstance[] = [];
  for (const instance of instances) (isHot(instance, state, watched) ? due : carried).push(instance);
  return { due, carried };
}

/** Options of {@link createSampler}. */
export interface SamplerOptions {
  readonly clock: Clock;
  readonly source: ProcSource;
  /**
   * The instances to sample now (running or stopping). Handing out the same collection while
   * nothing changed saves copying it every tick.
   */
  readonly instances: () => Iterable<SampledInstance>;
  /**
   * Given the latest sample of every instance (read in this pass or kept from an earlier one),
   * once the pass is done (the controller judges limits on it).
   */
  readonly onSample?: (samples: readonly SampledUsage[]) => void;
  /**
   * Instances read every interval, quiet or not (limits and alerts of the revision they run, CPU
   * autoscaling), by object and revision.
   */
  readonly watched?: Watched;
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
  let ticks = 0;
  const watched = options.watched ?? ((): boolean => false);
  // The instance list as an array, copied only when the source hands out a new one.
  let listed: Iterable<SampledInstance> | undefined;
  let listedArray: readonly SampledInstance[] = [];
  const currentInstances = (): readonly SampledInstance[] => {
    const list = options.instances();
    if (list !== listed) [listed, listedArray] = [list, [...list]];
    return listedArray;
  };
  // A pass is read in steps of STEP_PIDS processes, each its own turn of the event loop.
  const tick = (): void => {
    const instances = currentInstances();
    const split = splitDue(instances, ticks++ % fullPassEvery(intervalMs) === 0, state, watched);
    if (split === undefined) {
      cancel = clock.after(intervalMs, tick);
      return;
    }
    const pass = beginSample(source, split.due, state, split.carried);
    const step = (): void => {
      const done = pass.step(STEP_PIDS);
      if (done === undefined) {
        cancel = clock.after(0, step);
        return;
      }
      state = done;
      if (options.onSample) options.onSample(samplesOf(instances, state));
      cancel = clock.after(intervalMs, tick);
    };
    step();
  };
  const reschedule = (): void => {
    cancel?.();
    cancel = undefined;
    if (started && intervalMs > 0) {
      ticks = 0;
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
