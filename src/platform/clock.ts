/**
 * The one place that reads the time and sets timers, so everything else can be driven by a fake
 * clock in tests.
 */

/** Cancels a timer. */
export type Cancel = () => void;

export interface Clock {
  /** ms since the epoch. */
  now(): number;
  /** Runs `fn` after `ms`; the timer does not keep the process alive unless `ref` is true. */
  after(ms: number, fn: () => void, ref?: boolean): Cancel;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn, ref = false) {
    const timer = setTimeout(fn, Math.max(0, ms));
    if (!ref) timer.unref();
    return () => clearTimeout(timer);
  },
};
