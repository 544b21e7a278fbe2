/**
 * Failures: how an instance's end is classified, the bounded failure history of an object, and
 * its recovery statistics. Pure; the controller keeps the history and asks these functions.
 */
import type { FailureRecord, FailureType } from '../model/failure.ts';
import type { ExitInfo } from '../model/instance.ts';

/** Most failures kept per object; older ones drop off (statistics count what is kept). */
export const FAILURE_HISTORY_LIMIT = 100;

const STOP_FAILURES: Readonly<Record<string, FailureType>> = {
  StartupTimeout: 'StartupTimeout',
  LivenessFailure: 'LivenessFailure',
  ResourceExhaustion: 'ResourceExhaustion',
  ResourceKill: 'ResourceExhaustion',
  DependencyFailure: 'DependencyFailure',
  HookFailure: 'HookFailure',
  Timeout: 'Timeout',
};

/**
 * The failure type of an end, or undefined when it is no failure: a stop tend asked for (other
 * than one that is itself a failure, like a liveness restart) or a clean exit with code 0.
 */
export function classifyExit(exit: ExitInfo, stopReason?: string): FailureType | undefined {
  const stopFailure = stopReason === undefined ? undefined : STOP_FAILURES[stopReason];
  if (exit.requested) return stopFailure;
  // A liveness or startup stop ends in an unrequested exit that carries its reason (exitOf).
  if (exit.reason === 'LivenessFailure' || exit.reason === 'StartupTimeout' || exit.reason === 'HookFailure') return exit.reason;
  // A limit action of tend's, or a kill by the kernel's OOM killer in the instance's cgroup.
  if (exit.reason === 'ResourceExhaustion' || exit.reason === 'ResourceKill') return 'ResourceExhaustion';
  if (exit.reason === 'SpawnError' || exit.reason === 'Lost') return 'Crash';
  return exit.code === 0 && exit.signal === null ? undefined : 'Crash';
}

/** `history` with `failure` appended, keeping the newest `limit`. */
export function appendFailure(history: readonly FailureRecord[], failure: FailureRecord, limit = FAILURE_HISTORY_LIMIT): FailureRecord[] {
  const next = [...history, failure];
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/** Marks the newest unrecovered failure of `instance` recovered at `at`; unchanged when there is none. */
export function markRecovered(history: readonly FailureRecord[], instance: string, at: number): readonly FailureRecord[] {
  for (let i = history.length - 1; i >= 0; i--) {
    const failure = history[i];
    if (failure?.instance !== instance) continue;
    if (failure.recoveredAt !== undefined) return history;
    return history.map((f, j) => (j === i ? { ...f, recoveredAt: at } : f));
  }
  return history;
}

/** `status.recovery`: failures, recoveries, their ratio, and the mean time to recover. */
export interface RecoveryStats {
  readonly failures: number;
  readonly recoveries: number;
  /** recoveries / failures; null with no failures. */
  readonly recoveryRate: number | null;
  /** null with no recoveries. */
  readonly meanTimeToRecoverMs: number | null;
}

/** Statistics over a failure history. */
export function recoveryStats(history: readonly FailureRecord[]): RecoveryStats {
  const recovered = history.filter((f) => f.recoveredAt !== undefined);
  const total = recovered.reduce((sum, f) => sum + ((f.recoveredAt ?? f.at) - f.at), 0);
  return {
    failures: history.length,
    recoveries: recovered.length,
    recoveryRate: history.length === 0 ? null : recovered.length / history.length,
    meanTimeToRecoverMs: recovered.length === 0 ? null : total / recovered.length,
  };
}
