/**
 * Long work (a manifest load, a pass over thousands of keys, a status build) lets the rest of the
 * controller run between slices. Yielding after every fixed number of items either holds the event
 * loop too long on a slow machine or, on a busy one, makes the work wait behind everything else
 * dozens of times; yielding by time does neither: the work keeps the loop for about
 * {@link TURN_BUDGET_MS} at a time, then one turn of everything else runs.
 */

/** How long one stretch of long work keeps the event loop. */
export const TURN_BUDGET_MS = 40;

/**
 * A yield that lets other work run only once `budgetMs` have passed since the last one resumed;
 * before that it resolves at once (a microtask), so callers may call it often.
 */
export function createTurnBudget(budgetMs = TURN_BUDGET_MS, now: () => number = monotonicMs): () => Promise<void> {
  let resumed = now();
  const resume = (resolve: () => void): void => {
    resumed = now();
    resolve();
  };
  return () => (now() - resumed < budgetMs ? Promise.resolve() : new Promise<void>((resolve) => setImmediate(resume, resolve)));
}

// Milliseconds of the monotonic clock. Not performance.now(): the global loads perf_hooks (and
// its timing modules) on first use, a few milliseconds of every controller start.
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
