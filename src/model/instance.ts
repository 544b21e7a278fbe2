/**
 * Observed state: the instances an executor really runs (or ran), as plain readonly data.
 *
 * Instance lifecycle, as the executor reports it:
 *
 *     start ──> running ──(exit on its own)──────────────> exited
 *       │          └──(stop action: signal, grace, KILL)─> stopping ──> exited (requested)
 *       └─(with preStart)─> starting ──hook ok──> running
 *                              └──hook fails──> exited (HookFailure)
 *
 * `hook` names a lifecycle hook that runs meanwhile: preStart (starting), postStart (running,
 * not yet Ready), preStop (stopping, before the signal), postStop (stopping, program gone).
 *
 * `exited` instances stay observed until the planner starts a new instance in their slot or
 * forgets them, so restart decisions can be made from the exit (code, signal, time).
 */
import type { Enforcement, LimitedResource } from './limits.ts';
import type { HookName, ObjectKey } from './object.ts';

export type InstanceState = 'starting' | 'running' | 'stopping' | 'exited';

/** How an instance ended. */
export type ExitReason =
  /** The process exited or was killed and tend saw it (code or signal known). */
  | 'Exited'
  /** The process was found gone (adopted after a controller restart; no exit status). */
  | 'Lost'
  /** The program could not be started at all. */
  | 'SpawnError'
  /** tend stopped it because its liveness probe failed. */
  | 'LivenessFailure'
  /** tend stopped it because it did not start (startup probe) within `startupTimeout`. */
  | 'StartupTimeout'
  /** Its preStart hook failed (it never ran), or tend stopped it because its postStart hook failed. */
  | 'HookFailure'
  /** A resource limit: tend stopped it (`onExceed: restart`), or the kernel's OOM killer killed it. */
  | 'ResourceExhaustion'
  /** tend killed it for a resource limit (`onExceed: kill`); it is not restarted. */
  | 'ResourceKill';

/**
 * Stop reasons that make the exit a failure of the program rather than a stop tend wanted for
 * its own sake: the exit carries the reason and is not `requested`, so the restart policy and
 * backoff apply to it.
 */
export const FAILURE_STOP_REASONS = ['LivenessFailure', 'StartupTimeout', 'HookFailure', 'ResourceExhaustion', 'ResourceKill'] as const;
export type FailureStopReason = (typeof FAILURE_STOP_REASONS)[number];

/** Whether a stop for `reason` classifies the exit as a failure. */
export function isFailureStop(reason: string | undefined): reason is FailureStopReason {
  return (FAILURE_STOP_REASONS as readonly (string | undefined)[]).includes(reason);
}

/** Whether the slot is taken by an instance that is not stopping: running, or in its preStart hook. */
export function isLive(instance: ObservedInstance): boolean {
  return instance.state === 'running' || instance.state === 'starting';
}

/** Whether a stop is for a resource limit: its message (the figure) becomes the exit's. */
export function isLimitStop(reason: string): boolean {
  return reason === 'ResourceExhaustion' || reason === 'ResourceKill';
}

/**
 * How `instance` ended, from what the OS said (`end`) and whether tend was stopping it: a stop for
 * a failure reason becomes an unrequested exit with that reason.
 */
export function exitOf(instance: ObservedInstance, end: Pick<ExitInfo, 'code' | 'signal' | 'reason' | 'message'>, at: number): ExitInfo {
  const stopping = instance.state === 'stopping';
  if (stopping && isFailureStop(instance.stopReason)) {
    const message = instance.stopMessage ?? end.message;
    return { ...end, at, reason: instance.stopReason, requested: false, ...(message === undefined ? {} : { message }) };
  }
  return { ...end, at, requested: stopping };
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: string | null;
  /** ms since the epoch. */
  readonly at: number;
  readonly reason: ExitReason;
  /** True when tend asked it to stop (stop action); such exits are not failures. */
  readonly requested: boolean;
  readonly message?: string;
  /** The last lines the program wrote to stderr, read when it ended on its own. */
  readonly stderrTail?: string;
}

export interface ObservedInstance {
  /** Instance name, unique per object: `web-0`. */
  readonly id: string;
  readonly object: ObjectKey;
  readonly replica: number;
  /** 0 when no process was ever started (spawn error). */
  readonly pid: number;
  /** Process start time in clock ticks since boot (`/proc/PID/stat` field 22); guards against pid reuse. */
  readonly startTicks: number;
  readonly specHash: string;
  readonly generation: number;
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly state: InstanceState;
  /** Why a stop was requested (an action reason code), while stopping or after a requested exit. */
  readonly stopReason?: string;
  /** What a failure stop was for (`memory 312 MiB > limit 256 MiB`); it becomes the exit's message. */
  readonly stopMessage?: string;
  /** How each resource limit of the running program is held (kernel cgroup, rlimit, or the monitor). */
  readonly enforcement?: Partial<Record<LimitedResource, Enforcement>>;
  readonly exit?: ExitInfo;
  /** The lifecycle hook running now, if any. */
  readonly hook?: HookName;
  /** The object's `recovery.fallback` program, running in slot `replica` while the circuit is open. */
  readonly fallback?: true;
  /** Set while the process group is suspended (SIGSTOP): when it was. */
  readonly suspendedAt?: number;
  /** Time spent suspended before the current suspension, in ms (running time excludes it). */
  readonly suspendedMs?: number;
  /** When it was last resumed (SIGCONT). */
  readonly resumedAt?: number;
}

/** How long `instance` has run by `now`: since its start, suspended time excluded. */
export function runningTimeOf(instance: ObservedInstance, now: number): number {
  const suspended = (instance.suspendedMs ?? 0) + (instance.suspendedAt === undefined ? 0 : now - instance.suspendedAt);
  return Math.max(0, now - instance.startedAt - suspended);
}

/** Instances per object. Objects with no instance are absent. */
export type Observed = ReadonlyMap<ObjectKey, readonly ObservedInstance[]>;
