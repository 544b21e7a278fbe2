/** Builders for scheduler tests: a unit and a policy with defaults, changed per case. */
import type { Decision, SchedulableUnit, SchedulingPolicy } from '../../src/scheduler/types.ts';

/** The `now` of most cases. */
export const NOW = 1_000_000;

/** A pending normal-priority preemptible job needing 1 cpu, arrived at 0. */
export function unit(id: string, over: Partial<SchedulableUnit> = {}): SchedulableUnit {
  return {
    id,
    requests: { cpu: 1 },
    priority: 20,
    arrivedAt: 0,
    preemptible: true,
    preemption: 'suspend',
    countsTowardMaxJobs: true,
    state: 'pending',
    ...over,
  };
}

/** A running unit started at `startedAt`. */
export function running(id: string, startedAt: number, over: Partial<SchedulableUnit> = {}): SchedulableUnit {
  return unit(id, { state: 'running', startedAt, ...over });
}

/** 4 cpu, 8 GiB, no job limit, no preemption, aging or time slicing. */
export function policy(over: Partial<SchedulingPolicy> = {}): SchedulingPolicy {
  return { capacity: { cpu: 4, memory: 8 * 2 ** 30 }, preemption: false, timeSliceMs: 0, ...over };
}

/** What a caller does with a decision, for one unit: start, resume, suspend or requeue it. */
export function applyDecision(u: SchedulableUnit, d: Decision, now: number): SchedulableUnit {
  if (d.admit.includes(u.id) || d.resume.includes(u.id)) return { ...u, state: 'running', startedAt: now };
  const p = d.preempt.find((x) => x.id === u.id);
  if (p === undefined) return u;
  const { startedAt: _, ...rest } = u;
  return { ...rest, state: p.mode === 'suspend' ? 'suspended' : 'pending', lastRanAt: now };
}
