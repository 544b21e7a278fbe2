/** Failures of instances, as an object's failure history records them (`status.failures`). */

/** Failure types, as `status.failures[].type` prints them. */
export const FAILURE_TYPES = ['Crash', 'StartupTimeout', 'LivenessFailure', 'ResourceExhaustion', 'DependencyFailure', 'HookFailure', 'Timeout'] as const;
export type FailureType = (typeof FAILURE_TYPES)[number];

/** One failure of an instance. */
export interface FailureRecord {
  /** ms since the epoch. */
  readonly at: number;
  readonly instance: string;
  readonly type: FailureType;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The last lines the instance wrote to stderr, when known. */
  readonly stderrTail?: string;
  /** When a replacement in the same slot was running again. */
  readonly recoveredAt?: number;
}
