/**
 * What one probe run found, and the one way every probe kind ends: first of success, failure or
 * its timeout, after which the check is cut (its process killed, its socket destroyed).
 */
import type { Clock } from '../platform/clock.ts';

/** The result of one check. Failures are values: a probe never throws. */
export interface ProbeOutcome {
  readonly ok: boolean;
  readonly message: string;
}

/** Ends the check: called once with the outcome; later calls are ignored. */
export type Settle = (outcome: ProbeOutcome) => void;

/**
 * Runs `begin`, which starts a check and returns how to cut it; resolves with the first outcome
 * it settles, or a failure after `timeoutMs` or when `signal` aborts (then the check is cut).
 * @example
 * await settleWithin(clock, 1000, (settle) => { const s = connect(port, () => settle(ok)); return () => s.destroy(); });
 */
export function settleWithin(clock: Clock, timeoutMs: number, begin: (settle: Settle) => () => void, signal?: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let done = false;
    let cut: () => void = () => undefined;
    const onAbort = (): void => settle({ ok: false, message: 'cancelled' });
    const settle: Settle = (outcome) => {
      if (done) return;
      done = true;
      cancel();
      signal?.removeEventListener('abort', onAbort);
      cut();
      resolve(outcome);
    };
    const cancel = clock.after(timeoutMs, () => settle({ ok: false, message: `timed out after ${timeoutMs}ms` }));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      cut = begin(settle);
    } catch (error) {
      settle({ ok: false, message: (error as Error).message });
    }
    if (done) cut();
  });
}
