/**
 * Jobs as the rest of tend sees them: a program run to completion, placed by the scheduler.
 * Plain readonly data; no I/O, no clock.
 */
import type { ManifestObject, ProcessSpec } from './object.ts';

/** How a preempted run gives its place back. */
export type JobPreemption = 'suspend' | 'requeue';

/** For scheduled runs: overlap, skip, or replace. */
export type JobConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace';

/**
 * A normalised `Job` spec: the program fields of a Process (`replicas` is `completions`, the
 * restart policy `OnFailure`, backoff 1 s doubling to 1 m) plus how the run completes.
 */
export interface JobSpec extends ProcessSpec {
  /** Successful instances needed; instance `<job>-<n>` for n in 0..completions-1. */
  readonly completions: number;
  /** Instances running at the same time. */
  readonly parallelism: number;
  /** Retries (failed instances started again) before the Job is Failed. */
  readonly backoffLimit: number;
  /** 0 = none. An instance's running time, suspended time excluded. */
  readonly activeDeadlineMs: number;
  /** 0 = kept. A finished run's instances are forgotten this long after it finished. */
  readonly ttlAfterFinishedMs: number;
  readonly preemptible: boolean;
  readonly preemption: JobPreemption;
  /** Cron expression; absent: one run per spec. */
  readonly schedule?: string;
  readonly concurrencyPolicy: JobConcurrencyPolicy;
  /** `resources.requests`: cpu in cores, memory in bytes, other names plain counts. */
  readonly requests: Readonly<Record<string, number>>;
}

/** A `Job` object. */
export interface JobObject extends ManifestObject {
  readonly kind: 'Job';
  readonly spec: JobSpec;
}

/** Narrows a manifest object to a runnable Job. */
export function isJobObject(object: ManifestObject): object is JobObject {
  return object.kind === 'Job';
}

/** Job phases, as `tend get jobs` shows them. */
export type JobPhase = 'Pending' | 'Running' | 'Suspended' | 'Succeeded' | 'Failed' | 'Stopped';

/**
 * What the controller remembers of a Job's current run (in the object's history): when it
 * finished, so a finished run is neither started again nor kept past `ttlAfterFinished`.
 */
export interface JobRecord {
  /** The spec hash the run belongs to; another spec is a new run (a label change is not). */
  readonly specHash: string;
  /** When the run first asked to run: its place in the queue (aging counts from it). */
  readonly arrivedAt: number;
  /** Failed instances started again in this run (checked against backoffLimit). */
  readonly retries: number;
  /** Preempted (requeued) instances started again: restarts, not failures. */
  readonly requeues: number;
  readonly finished?: { readonly phase: 'Succeeded' | 'Failed'; readonly at: number; readonly reason: string };
  /** The finished run's instances were forgotten (ttlAfterFinished). */
  readonly forgotten?: true;
  /** Scheduled Jobs: the cron tick of the current run (or, before the first, when first seen). */
  readonly tick?: number;
  /** Scheduled Jobs: no run yet, the first tick has not come. */
  readonly waitingForTick?: true;
}
