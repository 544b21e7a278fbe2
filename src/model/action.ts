/**
 * Actions: what the planner asks the executor to do. A plan is a list of actions; each names
 * the instance, a stable PascalCase `reason` code and a human `message` (`tend diff` prints them).
 */
import type { ObjectKey, ProcessSpec, StopPolicy } from './object.ts';
import type { ObservedInstance } from './instance.ts';

/** Stable reason codes of actions. */
export const ACTION_REASONS = [
  /** A desired instance that does not exist yet. */
  'Create',
  /** `replicas` went up. */
  'ScaleUp',
  /** `replicas` went down (highest index first). */
  'ScaleDown',
  /** The program changed (specHash differs). */
  'SpecChanged',
  /** The instance exited and the restart policy says to start it again. */
  'RestartPolicy',
  /** The restart waits for its backoff delay. */
  'CrashLoopBackOff',
  /** The circuit breaker is open: no restart until its cooldown has passed. */
  'CircuitOpen',
  /** The object is gone from the manifests. */
  'Pruned',
  /** `tend stop`. */
  'UserStopped',
  /** `tend restart`. */
  'UserRestart',
  /** A recorded exit is no longer needed (the object went away or the slot is gone). */
  'Forget',
  /** The controller is shutting down (SIGINT/SIGTERM to `tend up`). */
  'Shutdown',
  /** The liveness probe failed `failureThreshold` times in a row: stop, then the restart policy. */
  'LivenessFailure',
  /** The startup probe did not pass within `startupTimeout`: stop, then the restart policy. */
  'StartupTimeout',
  /** Wait: look again when the startup deadline passes. */
  'AwaitingStartup',
  /** A resource limit was exceeded with `onExceed: restart`: stop, then the restart policy. */
  'ResourceExhaustion',
  /** A resource limit was exceeded with `onExceed: kill`: SIGKILL, and no restart. */
  'ResourceKill',
] as const;
export type ActionReason = (typeof ACTION_REASONS)[number];

interface ActionBase {
  readonly object: ObjectKey;
  /** Instance id, e.g. `web-0`. */
  readonly instance: string;
  readonly reason: ActionReason;
  readonly message: string;
}

/** Start a new instance in a slot (replacing any exited instance recorded there). */
export interface StartAction extends ActionBase {
  readonly type: 'start';
  readonly replica: number;
  readonly spec: ProcessSpec;
  readonly specHash: string;
  readonly generation: number;
  /** Backoff attempt to record for the new instance. */
  readonly backoffAttempt: number;
  /** True when this start counts as a restart (after an unrequested exit). */
  readonly countsAsRestart: boolean;
  /** The half-open circuit's one trial start. */
  readonly circuitTrial?: boolean;
}

/**
 * Stop an instance: stop.signal to its process group, grace period, SIGKILL.
 * On an already exited instance, only forgets its record.
 */
export interface StopAction extends ActionBase {
  readonly type: 'stop';
  readonly stop: StopPolicy;
  /** Drop the record once exited (prune, scale down) instead of keeping it for a later start. */
  readonly forget: boolean;
}

/** Stop an instance, then start its replacement in the same slot. */
export interface RestartAction extends ActionBase {
  readonly type: 'restart';
  readonly replica: number;
  readonly spec: ProcessSpec;
  readonly specHash: string;
  readonly generation: number;
  readonly stop: StopPolicy;
}

/** Nothing to do before `until` (ms since the epoch); the controller requeues then. */
export interface WaitAction extends ActionBase {
  readonly type: 'wait';
  readonly until: number;
}

export type Action = StartAction | StopAction | RestartAction | WaitAction;
export type Plan = readonly Action[];

/** What an action did; completes the sentence "instance web-0 was ...". */
export type Outcome = 'started' | 'stopping' | 'stopped' | 'restarted' | 'unchanged';

/** OS failures are values, never throws. */
export type ActionResult =
  | { readonly ok: true; readonly action: Action; readonly outcome: Outcome; readonly instance?: ObservedInstance }
  | {
      readonly ok: false;
      readonly action: Action;
      readonly reason: string;
      readonly message: string;
      readonly cause?: unknown;
    };
