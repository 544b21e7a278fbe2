/**
 * The executor's memory of its instances, per object. Each object's list handed out is replaced,
 * never mutated, and `observed()` hands out a cached map that is rebuilt only after a change, so
 * a snapshot the controller holds stays consistent and observing costs nothing when idle.
 * Instances are indexed by id, and the exited ones of each object are kept apart, so recording
 * one instance costs the same with 10,000 replicas as with one.
 */
import type { ObjectKey } from '../../model/object.ts';
import type { Observed, ObservedInstance } from '../../model/instance.ts';

/** Instances by object, with copy-on-write lists. */
export class InstanceTable {
  readonly #byObject = new Map<ObjectKey, Map<string, ObservedInstance>>();
  /** Ids of the exited instances of each object. */
  readonly #exited = new Map<ObjectKey, Set<string>>();
  /** The list of each object as last handed out. */
  readonly #lists = new Map<ObjectKey, readonly ObservedInstance[]>();
  /** Objects whose list holds the right ids in the right order, some of them as older records. */
  readonly #replaced = new Set<ObjectKey>();
  #cache: Observed | undefined;
  #all: readonly ObservedInstance[] | undefined;

  /** The instance `id` of `object`, if recorded. */
  get(object: ObjectKey, id: string): ObservedInstance | undefined {
    return this.#byObject.get(object)?.get(id);
  }

  /** Records `instance`, replacing the one with the same id (in its place). */
  put(instance: ObservedInstance): void {
    let instances = this.#byObject.get(instance.object);
    if (!instances) this.#byObject.set(instance.object, (instances = new Map<string, ObservedInstance>()));
    const before = instances.get(instance.id);
    instances.set(instance.id, instance);
    const exited = this.#exited.get(instance.object);
    if (instance.state !== 'exited') exited?.delete(instance.id);
    else if (exited) exited.add(instance.id);
    else this.#exited.set(instance.object, new Set([instance.id]));
    this.#changed(instance.object, before, instance);
  }

  /** Forgets the instance `id` of `object`. */
  remove(object: ObjectKey, id: string): void {
    const instances = this.#byObject.get(object);
    if (!instances?.delete(id)) return;
    this.#exited.get(object)?.delete(id);
    this.#dropIfEmpty(object, instances);
    this.#changed(object);
  }

  /**
   * Forgets exited instances of `object` in the slot of `started` (it took their place): those of
   * the same kind (primary or fallback) in its replica, other than `started` itself. Returns them.
   */
  removeExited(object: ObjectKey, started: { readonly id: string; readonly replica: number; readonly fallback?: true | undefined }): readonly ObservedInstance[] {
    const exited = this.#exited.get(object);
    const instances = this.#byObject.get(object);
    if (!exited || exited.size === 0 || !instances) return [];
    const fallback = started.fallback === true;
    const removed: ObservedInstance[] = [];
    for (const id of exited) {
      const instance = instances.get(id);
      if (!instance || instance.replica !== started.replica || id === started.id || (instance.fallback === true) !== fallback) continue;
      removed.push(instance);
      instances.delete(id);
      exited.delete(id);
    }
    if (removed.length === 0) return removed;
    this.#dropIfEmpty(object, instances);
    this.#changed(object);
    return removed;
  }

  /** Instances per object, in replica order; the same map until something changes. */
  observed(): Observed {
    if (this.#cache) return this.#cache;
    const observed = new Map<ObjectKey, readonly ObservedInstance[]>();
    for (const [object, instances] of this.#byObject) {
      let list = this.#lists.get(object);
      if (!list) this.#lists.set(object, (list = byReplica([...instances.values()])));
      else if (this.#replaced.has(object)) this.#lists.set(object, (list = list.map((i) => instances.get(i.id) ?? i)));
      observed.set(object, list);
    }
    this.#replaced.clear();
    this.#cache = observed;
    return observed;
  }

  /** Every instance; the same array until something changes. */
  all(): readonly ObservedInstance[] {
    this.#all ??= [...this.observed().values()].flat();
    return this.#all;
  }

  #dropIfEmpty(object: ObjectKey, instances: Map<string, ObservedInstance>): void {
    if (instances.size > 0) return;
    this.#byObject.delete(object);
    this.#exited.delete(object);
  }

  // A replaced instance keeps its place in the list as built: the next look copies the list with
  // the current records (no new sort), however many were replaced meanwhile, so recording one
  // costs O(1) with 10,000 replicas. Anything else builds the list again on the next look.
  #changed(object: ObjectKey, before?: ObservedInstance, after?: ObservedInstance): void {
    if (this.#lists.has(object) && before && after && before.replica === after.replica) this.#replaced.add(object);
    else {
      this.#lists.delete(object);
      this.#replaced.delete(object);
    }
    this.#cache = undefined;
    this.#all = undefined;
  }
}

// Starts go out together and their answers may come in any order: a list in replica order (in
// the order recorded within one replica) reads the same whatever order they came in.
function byReplica(list: ObservedInstance[]): ObservedInstance[] {
  return list.sort((a, b) => a.replica - b.replica);
}
