/**
 * The resource sampler: every interval, one pass over the pids in `/proc` (sample-pass.ts), read
 * in steps of {@link STEP_PIDS} processes per turn of the event loop; the pass's samples go to
 * `onSample`. Only the latest sample per instance is kept, in memory.
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
  // A pass is read in steps of STEP_PIDS processes, each its own turn of the event loop.
  const tick = (): void => {
    const instances = [...options.instances()];
    const pass = beginSample(source, instances, state);
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
