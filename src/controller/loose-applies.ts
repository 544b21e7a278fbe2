/**
 * Applies a drain does not wait for. A pass waits for its applies before it observes again, so a
 * restart whose backoff ends while other starts await the spawn helper's answer would wait for
 * them all. The starts of an object no other object's plan reads (see {@link standsAlone}) are
 * let go instead: the next batch is observed and planned while they spawn (the key itself stays
 * being worked on, so it is not planned twice). What must follow a pass's applies still follows
 * them: its plans are told in pass order once they are applied, and idleness waits for them.
 * Must not: decide anything about a key, or do I/O.
 */
import type { KeyPlan } from '../planner/key-plan.ts';
import { hasRequests } from '../planner/scheduling.ts';
import { isProcessObject, type ManifestObject, type ObjectKey } from '../model/object.ts';

/** What the controller knows of how objects read each other. */
export interface Neighbours {
  dependentsOf(key: ObjectKey): ReadonlySet<ObjectKey>;
  dependenciesOf(key: ObjectKey): readonly ObjectKey[];
}

/**
 * Whether `plan` only starts instances of a plain Process that no other key's plan reads: no
 * dependency either way, no pool, no scheduler requests, no circuit edit (whose write-ahead save
 * comes first). Another key planned while its spawn is under way would see nothing different.
 */
export function standsAlone(plan: KeyPlan, object: ManifestObject | undefined, links: Neighbours): boolean {
  if (!object || !isProcessObject(object) || object.pool !== undefined || hasRequests(object)) return false;
  if (!plan.actions.every((a) => a.type === 'start' || a.type === 'wait')) return false;
  if (plan.historyEdits.some((e) => e.type === 'circuit')) return false;
  return links.dependentsOf(plan.key).size === 0 && links.dependenciesOf(plan.key).length === 0;
}

/** The loose applies under way and the pass reports that wait for them. */
export interface LooseApplies {
  /** Keeps `applied` until it settles; then `onSettled` is called. */
  add(applied: Promise<void>): void;
  /** Loose applies under way. */
  readonly size: number;
  /** Whether a pass report still waits for loose applies. */
  readonly telling: boolean;
  /** Reports a pass's `plans` once `after` (its loose applies) and every earlier report are done. */
  tell(plans: readonly KeyPlan[], after: readonly Promise<void>[]): void;
  /** Resolves once no loose apply is under way. */
  settled(): Promise<void>;
}

export interface LooseAppliesOptions {
  /** A loose apply settled (the controller saves, settles orders and wakes idle waiters). */
  readonly onSettled: () => void;
  /** A pass's report: its plans, once applied. */
  readonly onPass?: (plans: readonly KeyPlan[]) => void;
  /** The last waiting report was made. */
  readonly onTold: () => void;
}

/** Creates the set of loose applies of one controller. */
export function createLooseApplies(options: LooseAppliesOptions): LooseApplies {
  const under = new Set<Promise<void>>();
  let tail: Promise<void> | undefined;
  return {
    add(applied) {
      // A reconcile reports its own failures; nothing is left to reject here.
      const kept = applied.catch(() => undefined).finally(() => {
        under.delete(kept);
        options.onSettled();
      });
      under.add(kept);
    },
    get size() {
      return under.size;
    },
    get telling() {
      return tail !== undefined;
    },
    tell(plans, after) {
      const { onPass } = options;
      if (!onPass) return;
      if (after.length === 0 && tail === undefined) return onPass(plans);
      const next: Promise<void> = (tail ?? Promise.resolve())
        .then(() => Promise.allSettled(after))
        .then(() => {
          onPass(plans);
          if (tail !== next) return;
          tail = undefined;
          options.onTold();
        });
      tail = next;
    },
    async settled() {
      while (under.size > 0) await Promise.allSettled([...under]);
    },
  };
}
