/**
 * Status builds shared between requests (`tend get`, `-w`, dashboards, many clients): one build
 * serves every request while what it was built from is current. Knows nothing of what a build
 * holds; the clock is injected.
 */
/** How long one build of every object's status serves later requests. */
export const STATUS_MAX_AGE_MS = 250;

/**
 * The build under way, or the latest while it is young and what it was built from (the
 * manifests, the history, the instances: immutable snapshots, compared by identity) is current:
 * requests meanwhile share it (and each view's serialisation) instead of each building again.
 * Whatever writes the history or changes an instance (a pass, an exit, an operator command) is
 * seen here, in this one place, by the next request. Builds run one after the other; a build that
 * failed is not shared.
 */
export function shareBuilds<T>(build: () => Promise<T>, now: () => number, inputs: () => readonly unknown[]): { get(): Promise<T> } {
  interface Shared { at: number; inputs: readonly unknown[]; build: Promise<T>; pending: boolean; expired: boolean }
  let last: Shared | undefined;
  // A build reads its source when it starts, so one asked for with the same inputs is as fresh.
  const current = (shared: Shared): boolean => !shared.expired && sameInputs(shared.inputs, inputs()) && (shared.pending || now() - shared.at < STATUS_MAX_AGE_MS);
  return {
    get() {
      if (last && current(last)) return last.build;
      const before = last?.pending ? last.build.then(() => undefined, () => undefined) : Promise.resolve();
      const next: Shared = { at: now(), inputs: inputs(), build: before.then(build), pending: true, expired: false };
      last = next;
      next.build.then(
        () => void (next.pending = false),
        () => void (next.expired = true),
      );
      return next.build;
    },
  };
}

function sameInputs(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
