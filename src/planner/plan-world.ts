/**
 * Building the one moment of the world a plan reads, with the scheduler's verdicts over that same
 * moment (computed on first use, since most passes schedule nothing).
 *
 * Must not: read the clock or the machine (both come in), do I/O.
 */
import type { Health } from '../model/health.ts';
import type { History } from '../model/history.ts';
import type { Observed } from '../model/instance.ts';
import type { ManifestObject, ObjectKey } from '../model/object.ts';
import type { ObjectBreaches } from './exhaustion.ts';
import type { PlanNotes, PlanWorld } from './key-plan.ts';
import { nodeOf, schedulingPolicyOf, type MachineCapacity } from './node-policy.ts';
import { scheduleWorld, type SchedulingView } from './scheduling.ts';

/** What {@link planWorld} reads. */
export interface WorldInput {
  readonly objects: ReadonlyMap<ObjectKey, ManifestObject>;
  readonly observed: Observed;
  readonly history: History;
  readonly now: number;
  /** The machine's own cores and memory: the Node's capacity where it does not say. */
  readonly machine: MachineCapacity;
  /** The scheduling pass over this same moment, when the caller keeps one. */
  readonly scheduling?: SchedulingView;
  readonly notes?: PlanNotes;
  readonly health?: Health;
  readonly breaches?: ReadonlyMap<ObjectKey, ObjectBreaches>;
  readonly dependentsOf?: (key: ObjectKey) => Iterable<ObjectKey>;
}

/** Nothing told yet: a fresh look (`tend diff`, a dry run). */
export const NO_NOTES: PlanNotes = { told: new WeakSet(), backoff: new Map(), dependencies: new Map() };

/** The scheduling pass over one moment. */
export function schedulingOf(input: Pick<WorldInput, 'objects' | 'observed' | 'history' | 'now' | 'machine'>): SchedulingView {
  const { objects, observed, history, now, machine } = input;
  return scheduleWorld({ objects, observed, history, now, policy: schedulingPolicyOf(nodeOf(objects), machine) });
}

/** The world of `input`, its verdicts from `input.scheduling` or computed once when first asked. */
export function planWorld(input: WorldInput): PlanWorld {
  let view = input.scheduling;
  const { objects, observed, history, now } = input;
  return {
    objects,
    observed,
    history,
    now,
    notes: input.notes ?? NO_NOTES,
    admission: (object, instance) => (view ??= schedulingOf(input)).admission(object, instance),
    ...(input.health ? { health: input.health } : {}),
    ...(input.breaches ? { breaches: input.breaches } : {}),
    ...(input.dependentsOf ? { dependentsOf: input.dependentsOf } : {}),
  };
}
