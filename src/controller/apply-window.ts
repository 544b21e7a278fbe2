/**
 * The window through which a pass hands its actions to the executor: at most `size` applies are
 * under way at once, the rest wait their turn in the order they were handed in. Starts of
 * different instances thus go out together (pipelined to the spawn helper) without one pass
 * queueing thousands of spawns, whose set-up runs on the event loop, all in one turn.
 * Must not: decide anything, or reorder what it is handed.
 */

/** What a waiting apply resolves to once the window was cancelled before its turn. */
export const CANCELLED: unique symbol = Symbol('cancelled');

export interface ApplyWindow {
  /** Runs `task` once fewer than `size` tasks run; `CANCELLED` if cancelled before its turn. */
  run<T>(task: () => Promise<T>): Promise<T | typeof CANCELLED>;
  /** Drops every task still waiting and every later one (they resolve `CANCELLED`); running ones finish. */
  cancel(): void;
}

/** Creates a window of `size` concurrent tasks. */
export function createApplyWindow(size: number): ApplyWindow {
  let running = 0;
  let waiting: (() => void)[] = [];
  let cancels: (() => void)[] = [];
  let cancelled = false;
  const next = (): void => {
    running -= 1;
    const start = waiting.shift();
    cancels.shift();
    start?.();
  };
  return {
    run<T>(task: () => Promise<T>): Promise<T | typeof CANCELLED> {
      const go = (): Promise<T> => {
        running += 1;
        let started: Promise<T>;
        try {
          started = task();
        } catch (error) {
          started = Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
        return started.finally(next);
      };
      if (cancelled) return Promise.resolve(CANCELLED);
      if (running < size) return go();
      return new Promise((resolve, reject) => {
        waiting.push(() => void go().then(resolve, reject));
        cancels.push(() => resolve(CANCELLED));
      });
    },
    cancel() {
      cancelled = true;
      const dropped = cancels;
      waiting = [];
      cancels = [];
      for (const drop of dropped) drop();
    },
  };
}
