/**
 * Actions: what the planner asks the executor to do. A plan is a list of actions; each names
 * the instance, a stable PascalCase `reason` code and a human `message` (`tend diff` prints them).
 */
import type { ObjectKey, ProcessSpec, ProgramSpec, StopPolicy } from './object.ts';
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
  /** The postStart hook failed: the executor stops the instance, then the restart policy. */
  'HookFailure',
  /** Wait: a `dependsOn` condition is not met yet; looked at again when the dependency changes. */
  'WaitingForDependency',
  /** Wait: a dependency ended for good, so its condition cannot come true without a change. */
  'DependencyFailure',
  /** The circuit is open: the `recovery.fallback` program runs in the slot. */
  'CircuitFallback',
  /** The primary may start again (trial or closed circuit): the slot's fallback stops first. */
  'FallbackDone',
  /** A resource limit was exceeded with `onExceed: restart`: stop, then the restart policy. */
  'ResourceExhaustion',
  /** A resource limit was exceeded with `onExceed: kill`: SIGKILL, and no restart. */
  'ResourceKill',
  /** A ProcessPool worker is recycled (lease expired, or `maxLeasesPerWorker` served): stop, then start fresh. */
  'Recycle',
  /** A Job instance ran past `activeDeadline`: stopped, failure type Timeout, the Job Failed. */
  'Timeout',
  /** Higher-priority work needs the place: suspended (SIGSTOP) or stopped to run again later. */
  'Preempted',
  /** Time slicing: an equal-priority job takes its turn; suspended. */
  'TimeSliceExpired',
  /** The scheduler gives a suspended instance its place back (SIGCONT). */
  'Resumed',
  /** Wait: the instance does not fit the Node's free capacity (`Insufficient cpu`, `MaxConcurrentJobs`). */
  'Unschedulable',
  /** Wait: the instance is admitted once the instances it preempts have given their place back. */
  'Preempting',
  /** A Job instance to start (a retry after a failure, or a preempted one requeued). */
  'JobRun',
  /** The Job ended (Succeeded, or Failed): what still runs of it is stopped. */
  'JobFinished',
  /** A finished Job's `ttlAfterFinished` passed: its instances are forgotten. */
  'TtlExpired',
  /** A scheduled Job's new run replaces the active one (`concurrencyPolicy: Replace`). */
  'Replaced',
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
  /** Recovery strategy `replace`: the failed instance (another id) this one takes over from. */
  readonly replaces?: string;
  /** Starts the object's `recovery.fallback` program instead of its own. */
  readonly fallback?: true;
  /** A Job's retry after a failed instance: counted against its backoffLimit. */
  readonly jobRetry?: true;
  /** A Job's instance started again after it was preempted with `requeue`: a restart, not a failure. */
  readonly jobRequeue?: true;
}

/**
 * A restart the executor may carry out on its own the moment a running instance ends, before the
 * controller hears of it: the start the plan would make after such an end (planner/
 * standing-order.ts). The controller then records that start as if it had applied it.
 */
export interface StandingOrder {
  /** The running instance it is armed for. */
  readonly instance: string;
  /** Which ends fire it: any, or a failure only (anything but exit code 0). */
  readonly on: 'any' | 'failure';
  /** What starts in its place, exactly as the plan would start it. */
  readonly start: StartAction;
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
  /**
   * The program as the manifest defines it now, so the stop hooks run with its env, working dir
   * and user even for an instance adopted from an earlier controller. Absent for pruned objects:
   * the executor then uses the hooks of the spec the instance was started with.
   */
  readonly program?: ProgramSpec;
}

/**
 * Nothing to do before `until` (ms since the epoch); the controller requeues then. A wait for a
 * dependency has no time (`until` is Infinity): a change of the dependency wakes it.
 */
export interface WaitAction extends ActionBase {
  readonly type: 'wait';
  readonly until: number;
  /** `Unschedulable`: what does not fit, in the scheduler's words (`Insufficient cpu`). */
  readonly shortfall?: string;
  /** `Unschedulable`: the place in the scheduler's queue, 1 is next. */
  readonly queuePosition?: number;
}

/** SIGSTOP to the instance's process group: it keeps its memory, gives up its CPU. */
export interface SuspendAction extends ActionBase {
  readonly type: 'suspend';
}

/** SIGCONT to a suspended instance's process group. */
export interface ResumeAction extends ActionBase {
  readonly type: 'resume';
}

export type Action = StartAction | StopAction | WaitAction | SuspendAction | ResumeAction;
export type Plan = readonly Action[];

/** What an action did; completes the sentence "instance web-0 was ...". */
export type Outcome = 'starting' | 'started' | 'stopping' | 'stopped' | 'unchanged' | 'suspended' | 'resumed';

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
