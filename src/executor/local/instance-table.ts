/**
 * The executor's memory of its instances, per object. Each object's array is replaced, never
 * mutated, and `observed()` and `all()` hand out a cached map and array that are rebuilt only
 * after a change, so a snapshot the controller holds stays consistent and observing costs
 * nothing when idle.
 */
import type { ObjectKey } from '../../model/object.ts';
import type { Observed, ObservedInstance } from '../../model/instance.ts';

/** Instances by object, with copy-on-write arrays. */
export class InstanceTable {
  readonly #byObject = new Map<ObjectKey, readonly ObservedInstance[]>();
  #cache: Observed | undefined;
  #all: readonly ObservedInstance[] | undefined;

  /** The instance `id` of `object`, if recorded. */
  get(object: ObjectKey, id: string): ObservedInstance | undefined {
    return this.#byObject.get(object)?.find((instance) => instance.id === id);
  }

  /** Records `instance`, replacing the one with the same id. */
  put(instance: ObservedInstance): void {
    const list = this.#byObject.get(instance.object) ?? [];
    const index = list.findIndex((other) => other.id === instance.id);
    this.#set(instance.object, index < 0 ? [...list, instance] : list.with(index, instance));
  }

  /** Forgets the instance `id` of `object`. */
  remove(object: ObjectKey, id: string): void {
    const list = this.#byObject.get(object);
    if (list?.some((instance) => instance.id === id)) {
      this.#set(object, list.filter((instance) => instance.id !== id));
    }
  }

  /**
   * Forgets exited instances of `object` in the slot of `started` (it took their place): those of
   * the same kind (primary or fallback) in its replica, other than `started` itself. Returns them.
   */
  removeExited(object: ObjectKey, started: { readonly id: string; readonly replica: number; readonly fallback?: true | undefined }): readonly ObservedInstance[] {
    const list = this.#byObject.get(object);
    const fallback = started.fallback === true;
    const stale = (instance: ObservedInstance): boolean =>
      instance.state === 'exited' && instance.replica === started.replica && instance.id !== started.id && (instance.fallback === true) === fallback;
    const removed = list?.filter(stale) ?? [];
    if (list && removed.length > 0) this.#set(object, list.filter((instance) => !stale(instance)));
    return removed;
  }

  /** Instances per object; the same map until something changes. */
  observed(): Observed {
    this.#cache ??= new Map(this.#byObject);
    return this.#cache;
  }

  /** Every instance; the same array until something changes. */
  all(): readonly ObservedInstance[] {
    this.#all ??= [...this.#byObject.values()].flat();
    return this.#all;
  }

  #set(object: ObjectKey, list: readonly ObservedInstance[]): void {
    if (list.length === 0) this.#byObject.delete(object);
    else this.#byObject.set(object, list);
    this.#cache = undefined;
    this.#all = undefined;
  }
}
