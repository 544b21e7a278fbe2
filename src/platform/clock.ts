/**
 * The one place that reads the time and sets timers, so everything else can be driven by a fake
 * clock in tests. Owns the timer limit: Node fires a `setTimeout` of more than 2^31-1 ms after
 * about 1 ms, so a longer delay is armed as a chain of timers of at most that length.
 */

/** Cancels a timer. */
export type Cancel = () => void;

export interface Clock {
  /** ms since the epoch. */
  now(): number;
  /**
   * Runs `fn` after `ms`; the timer does not keep the process alive unless `ref` is true.
   * Any finite delay is honoured, however long; `Infinity` (or NaN) never fires.
   */
  after(ms: number, fn: () => void, ref?: boolean): Cancel;
}

/** The longest delay one `setTimeout` can hold (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The first step of a delay as Node can arm it: clamped to 0..{@link MAX_TIMER_MS}, with what
 * remains after it (0 when one timer suffices). A non-finite delay has no steps.
 * @example timerStep(MAX_TIMER_MS + 5) // { now: MAX_TIMER_MS, rest: 5 }
 */
export function timerStep(ms: number): { readonly now: number; readonly rest: number } | undefined {
  if (Number.isNaN(ms) || ms === Infinity) return undefined;
  const wanted = Math.max(0, ms);
  const now = Math.min(wanted, MAX_TIMER_MS);
  return { now, rest: wanted - now };
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn, ref = false) {
    let timer: NodeJS.Timeout | undefined;
    const arm = (delay: number): void => {
      const step = timerStep(delay);
      if (!step) return;
      timer = setTimeout(() => (step.rest > 0 ? arm(step.rest) : fn()), step.now);
      if (!ref) timer.unref();
    };
    arm(ms);
    return () => clearTimeout(timer);
  },
};
