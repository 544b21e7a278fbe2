/**
 * Priorities as PriorityClasses: one per priority in use, valued like tend (critical 40, high
 * 30, normal 20, low 10, background 0, or the integer as written). A Node with
 * `preemption: false` makes every class `preemptionPolicy: Never`: no pod preempts another,
 * as no tend instance does then. Pure.
 */
import { PRIORITY_VALUES } from '../../manifest/normalize.ts';

/** Kubernetes refuses user PriorityClass values above one billion. */
const MAX_VALUE = 1_000_000_000;

/** `tend-normal`, `tend-25`, `tend-minus-5`. */
export function priorityClassName(priority: unknown): string {
  if (typeof priority === 'number') return priority < 0 ? `tend-minus-${-priority}` : `tend-${priority}`;
  return `tend-${String(priority)}`;
}

/** The numeric value of a priority as written. */
export function priorityValue(priority: unknown): number {
  return typeof priority === 'number' ? priority : (PRIORITY_VALUES[String(priority)] ?? 0);
}

/** Whether Kubernetes accepts the priority as a PriorityClass value. */
export function isRenderablePriority(priority: unknown): boolean {
  const value = priorityValue(priority);
  return value <= MAX_VALUE && value >= -2_147_483_648;
}

/** The PriorityClass objects for the priorities in use, sorted by name. */
export function priorityClasses(priorities: readonly unknown[], preemption: boolean): Record<string, unknown>[] {
  const byName = new Map(priorities.filter(isRenderablePriority).map((p) => [priorityClassName(p), p]));
  return [...byName.keys()].sort().map((name) => ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value: priorityValue(byName.get(name)),
    globalDefault: false,
    preemptionPolicy: preemption ? 'PreemptLowerPriority' : 'Never',
  }));
}
