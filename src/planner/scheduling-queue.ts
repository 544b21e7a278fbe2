/**
 * The scheduler's queue as people read it: every unit of a pass with its base and effective
 * priority, waiting units first in queue order with the reason each waits, then the suspended and
 * running ones. The dashboard's scheduler view shows it.
 *
 * Owns: shaping a decision for display. Must not: decide anything, read the clock or do I/O.
 */
import { effectivePriority } from '../scheduler/priority.ts';
import type { Decision, SchedulableUnit, SchedulingPolicy, UnitState } from '../scheduler/types.ts';

/** One unit in the queue view. */
export interface QueueEntry {
  /** `job/report`. */
  readonly object: string;
  /** `report-0`. */
  readonly instance: string;
  readonly state: UnitState;
  readonly priority: number;
  /** Base priority plus aging, now for waiting units, at their start for running ones. */
  readonly effectivePriority: number;
  /** Place in the queue (0 is next) for waiting units. */
  readonly position?: number;
  /** Why it waits (`Insufficient cpu`), or what the pass does with it (`Admit`, `Preempted by ...`). */
  readonly reason?: string;
  readonly requests: Readonly<Record<string, number>>;
}

/** The queue view of one pass at `now`. */
export function queueOf(policy: SchedulingPolicy, units: readonly SchedulableUnit[], decision: Decision, now: number): QueueEntry[] {
  const byId = new Map(units.map((u) => [u.id, u]));
  const notes = new Map<string, string>();
  for (const id of decision.admit) notes.set(id, 'Admit');
  for (const id of decision.resume) notes.set(id, 'Resume');
  for (const p of decision.preempt) notes.set(p.id, `${p.reason} by ${p.by}`);
  const waiting = decision.waiting.flatMap((w, position) => {
    const unit = byId.get(w.id);
    return unit ? [entryOf(unit, policy, now, { position, reason: w.reason })] : [];
  });
  const listed = new Set(decision.waiting.map((w) => w.id));
  const rest = units
    .filter((u) => !listed.has(u.id))
    .map((u) => {
      const note = notes.get(u.id);
      return entryOf(u, policy, now, note === undefined ? {} : { reason: note });
    })
    .sort((a, b) => b.effectivePriority - a.effectivePriority || a.object.localeCompare(b.object) || a.instance.localeCompare(b.instance));
  return [...waiting, ...rest];
}

function entryOf(unit: SchedulableUnit, policy: SchedulingPolicy, now: number, extra: { position?: number; reason?: string }): QueueEntry {
  const cut = unit.id.lastIndexOf('/');
  const at = unit.state === 'pending' ? now : (unit.startedAt ?? now);
  return {
    object: unit.id.slice(0, cut),
    instance: unit.id.slice(cut + 1),
    state: unit.state,
    priority: unit.priority,
    effectivePriority: effectivePriority(unit, policy, at),
    requests: unit.requests,
    ...extra,
  };
}
