/**
 * Long work (a manifest load, a pass over thousands of keys, a status build) lets the rest of the
 * controller run between slices. Yielding after every fixed number of items either holds the event
 * loop too long on a slow machine or, on a busy one, makes the work wait behind everything else
 * dozens of times; yielding by time does neither: the work keeps the loop for about
 * {@link TURN_BUDGET_MS} at a time, then one turn of everything else runs. The budget is the one
 * gate: long work asks it after every item, and nothing counts items besides.
 */

/** How long one stretch of long work keeps the event loop. */
export const TURN_BUDGET_MS = 40;

/**
 * Asked after each item of long work: a promise to await when the budget is spent (it resolves
 * once one turn of other work has run), else undefined, and the work goes on in this turn without
 * so much as a microtask.
 */
export type TurnYield = () => Promise<void> | undefined;

/**
 * A {@link TurnYield} that gives up a turn once `budgetMs` have passed since the last one resumed.
 * Works that give up their turn together share the next one: each resumes with its part of the
 * budget, so however many run beside each other (a pass, the status fill, a load), the event loop
 * comes round to I/O (an answer's bytes, a request, an exit) after about `budgetMs`, not after
 * `budgetMs` for each of them.
 */
export function createTurnBudget(budgetMs = TURN_BUDGET_MS, now: () => number = monotonicMs): TurnYield {
  let deadline = now() + budgetMs;
  // The works waiting for the next turn; a new round begins once its first one resumes.
  let next: Round | undefined;
  const resume = (round: Round, resolve: () => void): void => {
    if (next === round) next = undefined;
    deadline = now() + budgetMs / round.sharing;
    resolve();
  };
  return () => {
    if (now() < deadline) return undefined;
    const round = (next ??= { sharing: 0 });
    round.sharing += 1;
    return new Promise<void>((resolve) => setImmediate(resume, round, resolve));
  };
}

interface Round {
  sharing: number;
}

/**
 * Answers first: while work a client waits for runs (an API answer: a list, a describe, a diff),
 * work nobody waits for (a pass starting a bring-up's programs, the status fill, standing orders)
 * gives way at its next yield instead of taking its turns beside it, so the answer is not shared
 * out among them. A background yield waits for the foreground to end, for at most `maxWaitMs` at
 * a time, so a stream of requests slows background work down but never stops it.
 */
export interface TurnPriority {
  /** Runs `work` as foreground work. */
  foreground<T>(work: () => Promise<T>): Promise<T>;
  /** `turn` for background work: while foreground work runs, a wait for it to end. */
  background(turn: TurnYield): TurnYield;
  /** Runs `fn` now, or once no foreground work runs (at most `maxWaitMs` later); the result cancels it. */
  whenFree(fn: () => void): () => void;
}

/** How long background work waits for foreground work at one yield, at most. */
export const MAX_GIVE_WAY_MS = 250;

/** Creates the priority of one controller; `after` is a timer (a test's clock). */
export function createTurnPriority(maxWaitMs = MAX_GIVE_WAY_MS, after: (ms: number, fn: () => void) => () => void = realTimer): TurnPriority {
  let running = 0;
  let waiting: (() => void)[] = [];
  const forget = (wake: () => void): void => {
    waiting = waiting.filter((other) => other !== wake);
  };
  const whenFree = (fn: () => void): (() => void) => {
    if (running === 0) {
      fn();
      return () => undefined;
    }
    let settled = false;
    const wake = (): void => {
      if (settled) return;
      settled = true;
      cancelTimer();
      forget(wake);
      fn();
    };
    const cancelTimer = after(maxWaitMs, wake);
    waiting.push(wake);
    return () => {
      settled = true;
      cancelTimer();
      forget(wake);
    };
  };
  return {
    async foreground(work) {
      running += 1;
      try {
        return await work();
      } finally {
        if (--running === 0) for (const wake of waiting) wake();
      }
    },
    background: (turn) => () => (running === 0 ? turn() : new Promise<void>((resolve) => void whenFree(resolve))),
    whenFree,
  };
}

function realTimer(ms: number, fn: () => void): () => void {
  const timer = setTimeout(fn, ms).unref();
  return () => clearTimeout(timer);
}

/** `turn` for work that always awaits: a resolved promise while the budget lasts. */
export function alwaysAwaitable(turn: TurnYield): () => Promise<void> {
  return () => turn() ?? Promise.resolve();
}

// Milliseconds of the monotonic clock. Not performance.now(): the global loads perf_hooks (and
// its timing modules) on first use, a few milliseconds of every controller start.
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
