/**
 * The value one planning of one object produces, and the world it reads. A `KeyPlan` says
 * everything a reconcile of the key will do: the actions for the executor (waits included, with
 * their reasons), the history to write, the events to tell, what to remember having told, and
 * when to look again. The controller applies it; `tend diff`, `reconcile --dry-run` and the API's
 * plan view print it. One function makes it (plan-key.ts), so they cannot disagree.
 *
 * Owns: the shapes, and the small accumulator the planners fill.
 * Must not: read the clock, do I/O, or mutate anything it is given.
 */
import type { Action } from '../model/action.ts';
import type { EventDraft } from '../model/event.ts';
import type { Health } from '../model/health.ts';
import type { History, ObjectHistory, SlotHistory } from '../model/history.ts';
import type { Observed, ObservedInstance } from '../model/instance.ts';
import type { ManifestObject, ObjectKey } from '../model/object.ts';
import type { Admission } from './admission.ts';
import type { ObjectBreaches } from './exhaustion.ts';
import { editInRun, type HistoryEdit } from './history-edit.ts';
import { unusedRevisions } from './revision.ts';

/** What was already said, so that each exit, back-off and dependency change is told once. */
export interface PlanNotes {
  /** Exits already told that the history does not keep (a fallback's). */
  readonly told: { has(instance: ObservedInstance): boolean };
  /** instance id -> the back-off deadline already announced. */
  readonly backoff: ReadonlyMap<string, number>;
  /** object -> what was last said of its dependencies (`met`, or the gate's message). */
  readonly dependencies: ReadonlyMap<ObjectKey, string>;
}

/** A change of {@link PlanNotes}. */
export type NoteEdit =
  | { readonly type: 'told'; readonly instance: ObservedInstance }
  | { readonly type: 'backoff'; readonly instance: string; readonly until: number }
  | { readonly type: 'dependencies'; readonly key: ObjectKey; readonly said: string };

/** Everything a plan reads: one consistent moment of the world. */
export interface PlanWorld {
  /** Desired objects (pools at the replica count their pool planner decided). */
  readonly objects: ReadonlyMap<ObjectKey, ManifestObject>;
  readonly observed: Observed;
  readonly history: History;
  /** ms since the epoch. */
  readonly now: number;
  /** The scheduler's verdicts over this same world (planner/scheduling.ts). */
  readonly admission: Admission;
  readonly notes: PlanNotes;
  /** Probe observations, when a prober runs. */
  readonly health?: Health;
  /** Resource limit breaches, when a monitor judges limits. */
  readonly breaches?: ReadonlyMap<ObjectKey, ObjectBreaches>;
  /** Objects whose `dependsOn` names the key, as the manifests last said (pruned ones too). */
  readonly dependentsOf?: (key: ObjectKey) => Iterable<ObjectKey>;
}

/** What one reconcile of one key does. */
export interface KeyPlan {
  readonly key: ObjectKey;
  readonly actions: readonly Action[];
  /** Applied to the history before the actions run (the actions were planned on the result). */
  readonly historyEdits: readonly HistoryEdit[];
  readonly events: readonly EventDraft[];
  readonly notes: readonly NoteEdit[];
  /** Look again then, with nothing else changing (ms since the epoch). */
  readonly requeueAt?: number;
}

/**
 * The accumulator a planning fills: the key's history as edited so far, and what was said. Its
 * lists are made by the first {@link edit}, {@link tell} or {@link remember}: most plans of a
 * pass over many keys say nothing, and allocate nothing for it.
 */
export interface KeyDraft {
  readonly key: ObjectKey;
  readonly world: PlanWorld;
  /** The key's history with this draft's edits applied. */
  history: ObjectHistory | undefined;
  historyEdits: HistoryEdit[] | undefined;
  events: EventDraft[] | undefined;
  notes: NoteEdit[] | undefined;
  /** The slots this draft's edits made, written in place by its later exits. */
  slots: Record<number, SlotHistory> | undefined;
}

/** A fresh draft for `key`. */
export function draftOf(world: PlanWorld, key: ObjectKey): KeyDraft {
  return { key, world, history: world.history.get(key), historyEdits: undefined, events: undefined, notes: undefined, slots: undefined };
}

/** Records `edit` and applies it to the draft's view of the history. */
export function edit(draft: KeyDraft, change: HistoryEdit): void {
  (draft.historyEdits ??= []).push(change);
  const run = editInRun({ entry: draft.history, slots: draft.slots }, change);
  draft.history = run.entry;
  draft.slots = run.slots;
}

/** Forgets the revisions kept in the draft's history that none of `instances` runs any more. */
export function forgetUnusedRevisions(draft: KeyDraft, instances: readonly ObservedInstance[]): void {
  const unused = unusedRevisions(draft.history, instances);
  if (unused.length > 0) edit(draft, { type: 'forgetRevisions', specHashes: unused });
}

/** Adds an event the plan tells. */
export function tell(draft: KeyDraft, event: EventDraft): void {
  (draft.events ??= []).push(event);
}

/** Adds what the plan remembers having told. */
export function remember(draft: KeyDraft, note: NoteEdit): void {
  (draft.notes ??= []).push(note);
}

/** The plan a draft ends in. */
export function finishDraft(draft: KeyDraft, actions: readonly Action[], requeueAt: number | undefined): KeyPlan {
  const { key } = draft;
  const historyEdits = draft.historyEdits ?? NOTHING;
  const events = draft.events ?? NOTHING;
  const notes = draft.notes ?? NOTHING;
  if (actions.length === 0 && historyEdits.length === 0 && events.length === 0 && notes.length === 0 && requeueAt === undefined) return emptyPlan(key);
  return requeueAt === undefined ? { key, actions, historyEdits, events, notes } : { key, actions, historyEdits, events, notes, requeueAt };
}

const NOTHING: readonly never[] = Object.freeze([]);

/** A plan that does nothing. */
export function emptyPlan(key: ObjectKey): KeyPlan {
  return { key, actions: NOTHING, historyEdits: NOTHING, events: NOTHING, notes: NOTHING };
}

/** The earliest finite wait among `actions`, and `also`. */
export function earliestWait(actions: readonly Action[], also: number | undefined): number | undefined {
  let at = also;
  for (const action of actions) {
    if (action.type === 'wait' && Number.isFinite(action.until)) at = Math.min(at ?? Infinity, action.until);
  }
  return at;
}
