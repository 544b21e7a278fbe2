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
  /** What the failure was, when more is known than the exit: `memory 312 MiB > limit 256 MiB`. */
  readonly message?: string;
  /** When a replacement in the same slot was running again. */
  readonly recoveredAt?: number;
}

/** Circuit states, as `status.circuit.state` prints them. */
export type CircuitState = 'Closed' | 'Open' | 'HalfOpen';

/** What the breaker remembers. */
export interface CircuitRecord {
  /** Closed or Open as last recorded; HalfOpen once a trial started. Open turns HalfOpen by time alone. */
  readonly state: CircuitState;
  /** Failure times still inside the window (Closed only). */
  readonly failures: readonly number[];
  readonly openedAt?: number;
  /** When the half-open trial started. */
  readonly trialAt?: number;
}

/** The manifest's `circuitBreaker`, in ms (see `src/planner/circuit-breaker.ts` for its transitions). */
export interface CircuitPolicy {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly cooldownMs: number;
}
