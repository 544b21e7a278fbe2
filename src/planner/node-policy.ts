/**
 * The Node manifest (at most one) as the scheduler's policy: capacity with the machine's own cpu
 * and memory as defaults, `maxConcurrentJobs`, preemption, aging and time slicing.
 *
 * Owns: the Node's defaults. Must not: read the machine (its cores and memory come in).
 */
import type { ManifestObject, ObjectKey } from '../model/object.ts';
import { normalizeAmounts } from '../manifest/normalize-requests.ts';
import { parseDuration } from '../manifest/normalize.ts';
import type { SchedulingPolicy } from '../scheduler/types.ts';

/** The machine's own capacity: cores and memory bytes. */
export interface MachineCapacity {
  readonly cpu: number;
  readonly memory: number;
}

/** Aging when the Node does not say: +1 per minute waited. */
const DEFAULT_AGING = { everyMs: 60_000, boost: 1 } as const;

interface NodeInput {
  readonly capacity?: Readonly<Record<string, string | number>>;
  readonly maxConcurrentJobs?: number;
  readonly preemption?: boolean;
  readonly aging?: { readonly every?: string | number; readonly boost?: number };
  readonly timeSlice?: string | number;
}

/** The Node object among `objects`, if any (validation allows one). */
export function nodeOf(objects: ReadonlyMap<ObjectKey, ManifestObject>): ManifestObject | undefined {
  for (const object of objects.values()) if (object.kind === 'Node') return object;
  return undefined;
}

/**
 * The scheduling policy of `node` (or of no Node: the machine's capacity, preemption on, aging
 * +1 per minute, no job limit, no time slicing).
 */
export function schedulingPolicyOf(node: ManifestObject | undefined, machine: MachineCapacity): SchedulingPolicy {
  const input = (node?.spec ?? {}) as NodeInput;
  const capacity = { cpu: machine.cpu, memory: machine.memory, ...normalizeAmounts(input.capacity) };
  const limit = input.maxConcurrentJobs ?? 0;
  const aging = {
    everyMs: parseDuration(input.aging?.every ?? '1m') ?? DEFAULT_AGING.everyMs,
    boost: input.aging?.boost ?? DEFAULT_AGING.boost,
  };
  return {
    capacity,
    ...(limit > 0 ? { maxConcurrentJobs: limit } : {}),
    preemption: input.preemption ?? true,
    aging,
    timeSliceMs: parseDuration(input.timeSlice ?? 0) ?? 0,
  };
}
