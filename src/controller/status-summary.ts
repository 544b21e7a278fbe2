/**
 * The one-line status of every object, for the dashboard's overview (`GET /v1/objects?view=summary`):
 * the phase, ready count and restarts `get` shows, and instead of the instances their count, the
 * oldest start and summed usage. Built from the same basis as the full view (status.ts) without
 * an instance view, spec or manifest per object, so a page that polls it costs the controller a
 * fraction of the full list, whatever the number of instances. Pure.
 */
import type { Action } from '../model/action.ts';
import { knownKeys, type ObjectKey } from '../model/object.ts';
import { basisOf, groupByObject, circuitOf, headOf, identityOf, poolOf, type ObjectView, type StatusInput } from './status.ts';

/** One object in a line. */
export interface ObjectSummary extends Pick<ObjectView, 'kind' | 'name' | 'key' | 'labels' | 'generation' | 'revision'> {
  readonly status: Pick<ObjectView['status'], 'phase' | 'reason' | 'replicas' | 'readyReplicas' | 'restarts' | 'circuit' | 'pool'>;
  /** Instances with a live process, and all the object has. */
  readonly running: number;
  /** The pids of the live instances, in instance order (`tend get`'s PID column). */
  readonly pids: readonly number[];
  /** True while a `recovery.fallback` program runs in the instances' place. */
  readonly fallback: boolean;
  readonly instanceCount: number;
  /** ISO 8601 start of the longest-running live instance; null when none runs. */
  readonly startedAt: string | null;
  /** Summed latest samples of the live instances; absent until one is sampled. */
  readonly usage?: { readonly cpu: number; readonly memory: number };
}

/** The summary of every object, in the order (and with the keys) of buildStatus. */
export function buildSummaries(input: StatusInput): ObjectSummary[] {
  const byKey = groupByObject(input.plan);
  return knownKeys(input.desired.objects, input.observed).map((key) => summaryOfKey(input, key, byKey.get(key) ?? []));
}

/** The summary of `key`, given its actions in `input.plan`. */
export function summaryOfKey(input: StatusInput, key: ObjectKey, actions: readonly Action[]): ObjectSummary {
  const { object, process, instances, history, summary } = basisOf(input, key, actions);
  const pids: number[] = [];
  let fallback = false;
  let restarts = 0;
  let oldest = Infinity;
  let cpu = 0;
  let memory = 0;
  let sampled = false;
  for (const i of instances) {
    restarts += i.fallback ? 0 : (history?.slots[i.replica]?.restarts ?? 0);
    if (i.pid <= 0 || i.state === 'exited') continue;
    pids.push(i.pid);
    fallback ||= i.fallback === true;
    oldest = Math.min(oldest, i.startedAt);
    const usage = input.usage?.(i);
    if (!usage) continue;
    sampled = true;
    cpu += usage.cpu;
    memory += usage.memory;
  }
  return {
    ...identityOf(input, key, object, history),
    status: { ...headOf(object, summary), restarts, ...circuitOf(process, history, input.now), ...poolOf(input, key) },
    running: pids.length,
    pids,
    fallback,
    instanceCount: instances.length,
    startedAt: Number.isFinite(oldest) ? new Date(oldest).toISOString() : null,
    ...(sampled ? { usage: { cpu: Math.round(cpu * 10) / 10, memory } } : {}),
  };
}
