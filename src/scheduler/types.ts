/**
 * The scheduler's vocabulary: capacities, the units it places, the policy it follows and the
 * decision it returns.
 *
 * Owns: the shapes shared by `schedule()` and its helpers.
 * Must not: hold logic, or depend on manifests, the executor or the clock.
 */

/**
 * Amounts per resource name: `cpu` in cores, `memory` in bytes, any other name a plain count
 * (licences, devices, disk bytes...). A request only counts for names the capacity also has.
 */
export type Capacity = Readonly<Record<string, number>>;

/** How a preempted unit gives its place back: SIGSTOP/SIGCONT, or stop now and run again later. */
export type PreemptionMode = 'suspend' | 'requeue';

/**
 * Where a unit is, as the scheduler sees it:
 *
 *     pending --admit--> running --preempt(suspend)--> suspended --resume--> running
 *                           \--preempt(requeue)--> pending (the caller stops it and queues it again)
 *
 * A running unit holds all its requests. A suspended one holds only its `memory` (a stopped
 * process's pages stay resident; its CPU and anything else are free), so it resumes on the rest.
 */
export type UnitState = 'pending' | 'running' | 'suspended';

/** One instance the scheduler places: a job run, a process instance, a pool worker. */
export interface SchedulableUnit {
  /** Stable id, e.g. the instance id `job/report-0`. */
  readonly id: string;
  /** What it reserves while running; an empty record always fits. */
  readonly requests: Capacity;
  /** Base priority (critical 40 ... background 0, or any integer). */
  readonly priority: number;
  /** When it first asked to run; kept across suspend/resume and requeue, so aging carries on. */
  readonly arrivedAt: number;
  /** Whether a higher-priority unit, or a time slice, may take its place. */
  readonly preemptible: boolean;
  readonly preemption: PreemptionMode;
  /** Whether it takes one of `maxConcurrentJobs` while running (jobs do, processes do not). */
  readonly countsTowardMaxJobs: boolean;
  readonly state: UnitState;
  /**
   * When a running unit was started or last resumed: it picks the most recently started victim,
   * times its slice, and fixes its rank as a victim (its effective priority at that moment).
   * Treated as `now` when missing.
   */
  readonly startedAt?: number;
  /** When it last stopped running (suspended or requeued): with time slicing, equal units queue by it. */
  readonly lastRanAt?: number;
}

/** Aging: a waiting unit's effective priority rises by `boost` per whole `everyMs` it has waited. */
export interface AgingPolicy {
  readonly everyMs: number;
  readonly boost: number;
}

/** The Node's scheduling policy, normalised (durations in ms). */
export interface SchedulingPolicy {
  readonly capacity: Capacity;
  /** Absent: no limit. */
  readonly maxConcurrentJobs?: number;
  readonly preemption: boolean;
  /** Absent, or `everyMs`/`boost` of 0: no aging. */
  readonly aging?: AgingPolicy;
  /** 0: no time slicing. */
  readonly timeSliceMs: number;
}

/** Everything `schedule()` looks at. */
export interface ScheduleInput {
  readonly policy: SchedulingPolicy;
  readonly units: readonly SchedulableUnit[];
  readonly now: number;
}

/** Why a running unit is asked to give its place back. */
export type PreemptReason = 'Preempted' | 'TimeSliceExpired';

/** A running unit to suspend or requeue, and the unit that takes its place. */
export interface Preemption {
  readonly id: string;
  readonly mode: PreemptionMode;
  readonly reason: PreemptReason;
  readonly by: string;
}

/** A pending or suspended unit that stays where it is, and why, in the Kubernetes scheduler's words. */
export interface Waiting {
  readonly id: string;
  /** `Insufficient cpu`, `Insufficient memory, licenses`, `MaxConcurrentJobs`, or both joined by `; `. */
  readonly reason: string;
  /** The resource names that did not fit (capacity order); empty when only the job limit blocked. */
  readonly insufficient: readonly string[];
}

/**
 * One scheduling pass. Ids appear at most once across `admit`, `resume`, `preempt` and `waiting`;
 * running units not preempted are not listed. `waiting` follows queue order (position 0 is next).
 */
export interface Decision {
  /** Pending units to start, in queue order. */
  readonly admit: readonly string[];
  /** Suspended units to continue, in queue order. */
  readonly resume: readonly string[];
  readonly preempt: readonly Preemption[];
  readonly waiting: readonly Waiting[];
  /** When aging or a time slice could change the decision with no other change; absent: never. */
  readonly nextWake?: number;
}
