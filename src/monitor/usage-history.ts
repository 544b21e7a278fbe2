/**
 * CPU and memory over time: a bounded ring of the monitor's samples per instance, for the
 * dashboard's charts. Fed once per sampling pass; nothing is kept on disk. A ring starts small
 * and doubles as it fills, up to its bound, so a controller that has run for a minute holds a
 * minute of points; a point is 16 bytes (time as a double, CPU and memory as floats: memory in
 * whole pages is exact up to 64 GiB).
 *
 * Owns: the rings and the per-object sums. Must not: read the clock (pass times are given),
 * decide anything, or do I/O.
 */
import type { SampledUsage } from '../model/usage.ts';

/** Points kept per instance: ten minutes at the default one-second interval. */
export const HISTORY_POINTS = 600;

/** Points a new ring has room for before it first grows. */
const FIRST_CAPACITY = 16;

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
  /** The most points it keeps. */
  readonly bound: number;
  t: Float64Array;
  cpu: Float32Array;
  memory: Float32Array;
  next: number;
  size: number;
  lastPass: number;
}

/** The rings; `record` is called by the sampler, `series` by the API. */
export interface UsageHistory {
  record(samples: readonly SampledUsage[], at: number): void;
  /**
   * The object's total and its instances' series; with `top`, only the `top` instances using the
   * most CPU and the `top` using the most memory now (the total still sums them all).
   */
  series(object: string, top?: number): ObjectUsage;
}

// An object's instance rings and the ring of their sum per pass.
interface ObjectRings {
  readonly instances: Map<string, Ring>;
  readonly total: Ring;
}

/** Creates an empty history holding `points` samples per instance. */
export function createUsageHistory(points: number = HISTORY_POINTS): UsageHistory {
  const objects = new Map<string, ObjectRings>();
  let pass = 0;
  return {
    record(samples, at) {
      pass++;
      const sums = new Map<ObjectRings, { cpu: number; memory: number }>();
      for (const s of samples) {
        let own = objects.get(s.object);
        if (!own) objects.set(s.object, (own = { instances: new Map(), total: newRing(s.object, 'total', points) }));
        let ring = own.instances.get(s.id);
        if (!ring) own.instances.set(s.id, (ring = newRing(s.object, s.id, points)));
        push(ring, at, s.usage.cpu, s.usage.memory, pass);
        const sum = sums.get(own) ?? { cpu: 0, memory: 0 };
        sum.cpu += s.usage.cpu;
        sum.memory += s.usage.memory;
        sums.set(own, sum);
      }
      for (const [own, sum] of sums) push(own.total, at, sum.cpu, sum.memory, pass);
      if (pass % FORGET_AFTER_PASSES === 0) forget(objects, pass);
    },
    series(object, top) {
      const own = objects.get(object);
      if (!own) return { object, instances: [], total: { id: 'total', t: [], cpu: [], memory: [] } };
      const rings = [...own.instances.values()];
      const shown = top === undefined ? rings : busiest(rings, top);
      const instances = shown.map(seriesOf).sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
      return { object, instances, total: seriesOf(own.total) };
    },
  };
}

// The `top` rings with the highest latest CPU, and the `top` with the highest latest memory.
function busiest(own: readonly Ring[], top: number): Ring[] {
  const latest = (ring: Ring, field: 'cpu' | 'memory'): number => ring[field][(ring.next - 1 + ring.t.length) % ring.t.length] ?? 0;
  const by = (field: 'cpu' | 'memory'): Ring[] => [...own].sort((a, b) => latest(b, field) - latest(a, field) || a.id.localeCompare(b.id, 'en', { numeric: true })).slice(0, top);
  return [...new Set([...by('cpu'), ...by('memory')])];
}

function newRing(object: string, id: string, points: number): Ring {
  const room = Math.min(points, FIRST_CAPACITY);
  return { object, id, bound: points, t: new Float64Array(room), cpu: new Float32Array(room), memory: new Float32Array(room), next: 0, size: 0, lastPass: 0 };
}

// A full ring below its bound doubles (up to the bound); its points stay in order from index 0.
function grow(ring: Ring): void {
  const room = Math.min(ring.bound, ring.t.length * 2);
  const t = new Float64Array(room);
  const cpu = new Float32Array(room);
  const memory = new Float32Array(room);
  t.set(ring.t);
  cpu.set(ring.cpu);
  memory.set(ring.memory);
  [ring.t, ring.cpu, ring.memory, ring.next] = [t, cpu, memory, ring.size];
}

function push(ring: Ring, at: number, cpu: number, memory: number, pass: number): void {
  if (ring.size === ring.t.length && ring.size < ring.bound) grow(ring);
  const i = ring.next;
  ring.t[i] = at;
  ring.cpu[i] = cpu;
  ring.memory[i] = memory;
  ring.next = (i + 1) % ring.t.length;
  ring.size = Math.min(ring.size + 1, ring.t.length);
  ring.lastPass = pass;
}

function forget(objects: Map<string, ObjectRings>, pass: number): void {
  for (const [object, own] of objects) {
    for (const [id, ring] of own.instances) if (pass - ring.lastPass >= FORGET_AFTER_PASSES) own.instances.delete(id);
    if (own.instances.size === 0) objects.delete(object);
  }
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
