/**
 * The resource sampler: every interval, one pass over the pids in `/proc` (sample-pass.ts), read
 * in steps of {@link STEP_PIDS} processes per turn of the event loop; the pass's samples go to
 * `onSample`. Only the latest sample per instance is kept, in memory.
 *
 * Adaptive schedule (sample-schedule.ts): an instance is read every interval while it is busy,
 * new, alerting, near a limit or autoscaled; an idle one with limits every WATCHED_MAX_MS, an idle
 * one without every QUIET_MAX_MS (a *full* pass, which reads every instance). An instance not
 * due keeps its last sample. A tick with nothing due reads nothing at all.
 *
 * Owns: the sampling timer and the latest samples. Must not: make decisions (limits and their
 * actions belong to the controller), write anything, or spawn processes.
 */
import type { ObjectKey } from '../model/object.ts';
import type { ResourceUsage, SampledUsage } from '../model/usage.ts';
import type { Cancel, Clock } from '../platform/clock.ts';
import type { ProcSource } from './proc-reader.ts';
import { beginSample, NO_SAMPLES, sampleKey, type SampledInstance, type SamplerState } from './sample-pass.ts';
import { cadenceOf, isDue, isFullPass, nextDue, type Cadence, type SampleWatch } from './sample-schedule.ts';

export { QUIET_MAX_MS, WATCHED_MAX_MS } from './sample-schedule.ts';

const NO_PIDS: ReadonlySet<number> = new Set();

/**
 * Processes read per turn of the event loop: about 1.2 ms of reading on a 2-core machine (the
 * first turn also lists /proc, about 1.3 ms more), so a pass over 1,000 instances (15-30 ms in
 * one piece) never delays a restart by more than a few ms.
 */
export const STEP_PIDS = 100;

/** What watches an instance of `object` running revision `specHash` (limits, alerts, autoscaling). */
export type WatchOf = (object: ObjectKey, specHash: string | undefined, id: string) => SampleWatch | undefined;

const NOTHING_WATCHED: WatchOf = () => undefined;

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

// How often `instance` is read now, by its latest sample and `watch` (of one scan: `watching`).
function cadenceIn(instance: SampledInstance, state: SamplerState, watch: (instance: SampledInstance) => SampleWatch | undefined): Cadence {
  return cadenceOf(state.instances.get(keyOf(instance)), instance.pid, watch, instance);
}

// What watches an instance, for one scan of them all (one function, not one per instance).
function watching(watchOf: WatchOf): (instance: SampledInstance) => SampleWatch | undefined {
  return (instance) => watchOf(instance.object, instance.specHash, instance.id);
}

// The instances read this tick (all of them on a full pass) and those whose samples are kept;
// asked only on a tick the lookout found something due on, so one scan sorts them.
function splitDue(instances: readonly SampledInstance[], tick: number, intervalMs: number, state: SamplerState, watchOf: WatchOf): { due: readonly SampledInstance[]; carried: SampledInstance[] } | undefined {
  if (isFullPass(tick, intervalMs)) return instances.length === 0 ? undefined : { due: instances, carried: [] };
  const watch = watching(watchOf);
  const due: SampledInstance[] = [];
  const carried: SampledInstance[] = [];
  for (const instance of instances) (isDue(cadenceIn(instance, state, watch), tick, intervalMs) ? due : carried).push(instance);
  return due.length === 0 ? undefined : { due, carried };
}

// The first tick from `tick` on with an instance due: while the instances, what watches them and
// their samples stay the same, no tick before it needs a look at any instance.
function firstDue(instances: readonly SampledInstance[], tick: number, intervalMs: number, state: SamplerState, watchOf: WatchOf): number {
  const watch = watching(watchOf);
  let first = Infinity;
  for (const instance of instances) {
    first = Math.min(first, nextDue(cadenceIn(instance, state, watch), tick, intervalMs));
    if (first === tick) break;
  }
  return first;
}

/** What the sampler's last look found: no instance due before tick `until`. */
interface Lookout {
  readonly instances: readonly SampledInstance[];
  readonly watchOf: WatchOf;
  readonly state: SamplerState;
  readonly until: number;
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
   * Asked once per tick: what watches an instance now (limits and open alerts of the revision it
   * runs, CPU autoscaling), by object, revision and instance id, asked only of idle instances; or
   * undefined when nothing watches any (every idle instance is then read every QUIET_MAX_MS).
   */
  readonly watches?: () => WatchOf | undefined;
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
  // The instance list as an array, copied only when the source hands out a new one.
  let listed: Iterable<SampledInstance> | undefined;
  let listedArray: readonly SampledInstance[] = [];
  const currentInstances = (): readonly SampledInstance[] => {
    const list = options.instances();
    if (list !== listed) [listed, listedArray] = [list, [...list]];
    return listedArray;
  };
  let lookout: Lookout | undefined;
  // A tick before the first due one costs three comparisons: an idle machine's ticks look at no
  // instance. A pass is read in steps of STEP_PIDS processes, each its own turn of the event loop.
  const tick = (): void => {
    const instances = currentInstances();
    const watchOf = options.watches?.() ?? NOTHING_WATCHED;
    if (lookout?.instances !== instances || lookout.watchOf !== watchOf || lookout.state !== state) lookout = { instances, watchOf, state, until: firstDue(instances, ticks, intervalMs, state, watchOf) };
    const split = ticks < lookout.until ? undefined : splitDue(instances, ticks, intervalMs, state, watchOf);
    ticks++;
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
    lookout = undefined;
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
