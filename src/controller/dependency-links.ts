/**
 * Who depends on whom, by object key, as the manifests last said: kept for objects gone from the
 * manifests too, so a pruned stack still stops dependents first. Pure bookkeeping, no I/O.
 */
import { isProcessObject, type ManifestObject, type ObjectKey } from '../model/object.ts';

export interface DependencyLinks {
  /** Takes the `dependsOn` of every object in `objects`; objects absent keep their last links. */
  update(objects: ReadonlyMap<ObjectKey, ManifestObject>): void;
  /** Objects whose `dependsOn` names `key`. */
  dependentsOf(key: ObjectKey): ReadonlySet<ObjectKey>;
  /** The objects `key` depends on. */
  dependenciesOf(key: ObjectKey): readonly ObjectKey[];
}

const NONE: ReadonlySet<ObjectKey> = new Set();
const NO_KEYS: readonly ObjectKey[] = [];

/** Creates empty links. */
export function createDependencyLinks(): DependencyLinks {
  const requires = new Map<ObjectKey, readonly ObjectKey[]>();
  let dependents = new Map<ObjectKey, Set<ObjectKey>>();
  return {
    update(objects) {
      let changed = false;
      for (const [key, object] of objects) {
        const next = isProcessObject(object) ? object.spec.dependsOn.map((d) => d.key) : NO_KEYS;
        const before = requires.get(key) ?? NO_KEYS;
        if (next.length === before.length && next.every((k, i) => k === before[i])) continue;
        changed = true;
        if (next.length === 0) requires.delete(key);
        else requires.set(key, next);
      }
      if (!changed) return;
      dependents = new Map();
      for (const [key, targets] of requires) {
        for (const target of targets) {
          let set = dependents.get(target);
          if (!set) dependents.set(target, (set = new Set()));
          set.add(key);
        }
      }
    },
    dependentsOf: (key) => dependents.get(key) ?? NONE,
    dependenciesOf: (key) => requires.get(key) ?? NO_KEYS,
  };
}
