/**
 * Telling what an object's dependencies allow, once per change: a wait before its start
 * (`WaitingForDependency`), a dependency lost under running instances or failed for good
 * (`DependencyFailure`, a Warning), and `DependenciesMet` when that is over. What is not known
 * yet (a dependency not probed yet) is not told.
 *
 * Must not: read the clock, do I/O.
 */
import type { ObservedInstance } from '../model/instance.ts';
import type { ProcessObject } from '../model/object.ts';
import { dependencyGate, dependencyStatuses, isUnobserved, type DependencyGate, type DependencyWorld } from './dependencies.ts';
import { remember, tell, type KeyDraft } from './key-plan.ts';

/** The gate of `object`'s dependencies, telling a change of it. */
export function reportDependencies(draft: KeyDraft, object: ProcessObject, instances: readonly ObservedInstance[]): DependencyGate {
  const { world } = draft;
  const view: DependencyWorld = { objects: world.objects, observed: world.observed, history: world.history, ...(world.health ? { health: world.health } : {}) };
  const statuses = dependencyStatuses(object, view);
  const gate = dependencyGate(statuses);
  const said = gate.kind === 'met' ? 'met' : gate.message;
  const before = world.notes.dependencies.get(object.key);
  if (before === said || (before === undefined && gate.kind === 'met')) return gate;
  const live = instances.some((i) => i.state !== 'exited');
  if (gate.kind === 'waiting' && live && statuses.every((s) => s.met || isUnobserved(s, view))) return gate;
  remember(draft, { type: 'dependencies', key: object.key, said });
  if (gate.kind === 'met') {
    tell(draft, { object: object.key, type: 'Normal', reason: 'DependenciesMet', message: 'every dependency meets its condition' });
    return gate;
  }
  const warn = gate.kind === 'failed' || live;
  const message = live ? `${gate.message}; the running instances are left running` : gate.message;
  tell(draft, { object: object.key, type: warn ? 'Warning' : 'Normal', reason: warn ? 'DependencyFailure' : 'WaitingForDependency', message });
  return gate;
}
