/**
 * CPU and memory over time: a fixed ring of the monitor's samples per instance, for the
 * dashboard's charts. Fed once per sampling pass; nothing is kept on disk.
 *
 * Owns: the rings and the per-object sums. Must not: read the clock (pass times are given),
 * decide anything, or do I/O.
 */
import type { SampledUsage } from '../model/usage.ts';

/** Points kept per instance: ten minutes at the default one-second interval. */
export const HISTORY_POINTS = 600;

/** Passes an instance may miss before its ring is dropped. */
const FORGET_AFTER_PASSES = 30;

/** One instance's series, oldest first: times in ms, CPU in percent of a core, memory in bytes. */
export interface UsageSeries {
  readonly id: string;
  readonly t: number[];
  readonly cpu: number[];
  readonly memory: number[];
}

/** An object's instances and their sum per pass. */
export interface ObjectUsage {
  readonly object: string;
  readonly instances: UsageSeries[];
  readonly total: UsageSeries;
}

interface Ring {
  readonly object: string;
  readonly id: string;
  readonly t: Float64Array;
  readonly cpu: Float32Array;
  readonly memory: Float64Array;
  next: number;
  size: number;
  lastPass: number;
}

/** The rings; `record` is called by the sampler, `series` by the API. */
export interface UsageHistory {
  record(samples: readonly SampledUsage[], at: number): void;
  series(object: string): ObjectUsage;
}

/** Creates an empty history holding `points` samples per instance. */
export function createUsageHistory(points: number = HISTORY_POINTS): UsageHistory {
  const rings = new Map<string, Ring>();
  let pass = 0;
  return {
    record(samples, at) {
      pass++;
      for (const s of samples) {
        const key = `${s.object}\u0000${s.id}`;
        let ring = rings.get(key);
        if (!ring) rings.set(key, (ring = newRing(s.object, s.id, points)));
        push(ring, at, s.usage.cpu, s.usage.memory, pass);
      }
      if (pass % FORGET_AFTER_PASSES === 0) forget(rings, pass);
    },
    series(object) {
      const instances = [...rings.values()].filter((r) => r.object === object).map(seriesOf);
      instances.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
      return { object, instances, total: sumOf(instances) };
    },
  };
}

function newRing(object: string, id: string, points: number): Ring {
  return { object, id, t: new Float64Array(points), cpu: new Float32Array(points), memory: new Float64Array(points), next: 0, size: 0, lastPass: 0 };
}

function push(ring: Ring, at: number, cpu: number, memory: number, pass: number): void {
  const i = ring.next;
  ring.t[i] = at;
  ring.cpu[i] = cpu;
  ring.memory[i] = memory;
  ring.next = (i + 1) % ring.t.length;
  ring.size = Math.min(ring.size + 1, ring.t.length);
  ring.lastPass = pass;
}

function forget(rings: Map<string, Ring>, pass: number): void {
  for (const [key, ring] of rings) if (pass - ring.lastPass >= FORGET_AFTER_PASSES) rings.delete(key);
}

function seriesOf(ring: Ring): UsageSeries {
  const out: UsageSeries = { id: ring.id, t: [], cpu: [], memory: [] };
  const start = (ring.next - ring.size + ring.t.length) % ring.t.length;
  for (let k = 0; k < ring.size; k++) {
    const i = (start + k) % ring.t.length;
    out.t.push(ring.t[i] ?? 0);
    out.cpu.push(Math.round((ring.cpu[i] ?? 0) * 10) / 10);
    out.memory.push(ring.memory[i] ?? 0);
  }
  return out;
}

// Samples of one pass share its time, so the object's sum is taken per time.
function sumOf(instances: readonly UsageSeries[]): UsageSeries {
  const sums = new Map<number, { cpu: number; memory: number }>();
  for (const s of instances) {
    s.t.forEach((t, k) => {
      const sum = sums.get(t) ?? { cpu: 0, memory: 0 };
      sum.cpu += s.cpu[k] ?? 0;
      sum.memory += s.memory[k] ?? 0;
      sums.set(t, sum);
    });
  }
  const times = [...sums.keys()].sort((a, b) => a - b);
  return {
    id: 'total',
    t: times,
    cpu: times.map((t) => Math.round((sums.get(t)?.cpu ?? 0) * 10) / 10),
    memory: times.map((t) => sums.get(t)?.memory ?? 0),
  };
}
