/**
 * Health observations: what the prober saw of each running instance's probes, as plain readonly
 * data the planner reads. The prober (src/monitor) produces them; it never decides anything.
 */
import type { ObjectKey } from './object.ts';

/** The three probes of a Process. */
export const PROBE_KINDS = ['startup', 'liveness', 'readiness'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** The check a probe runs. */
export type ProbeCheck =
  | { readonly type: 'exec'; readonly command: readonly string[] }
  | { readonly type: 'http'; readonly url: string; readonly headers: Readonly<Record<string, string>> }
  | { readonly type: 'tcp'; readonly host: string; readonly port: number };

/** A normalised probe: durations in ms. */
export interface ProbeSpec {
  readonly check: ProbeCheck;
  readonly initialDelayMs: number;
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

/** The probes of a Process; absent ones are not run. */
export type ProbeSet = Readonly<Partial<Record<ProbeKind, ProbeSpec>>>;

/** The last result of one probe and its streak. */
export interface ProbeResult {
  readonly ok: boolean;
  /** ms since the epoch. */
  readonly at: number;
  readonly message: string;
  /** Consecutive successes, and consecutive failures, up to this result. */
  readonly successes: number;
  readonly failures: number;
}

/**
 * What is known of one running instance's health. It belongs to the process with `pid` started
 * at `startedAt`; the planner ignores it for any other process in the slot.
 */
export interface InstanceHealth {
  readonly pid: number;
  readonly startedAt: number;
  /**
   * When the prober began to watch this process (ms since the epoch): its start for a process it
   * saw start, later for one adopted from an earlier controller. The startup deadline counts from
   * the later of the two, so adoption never times out an instance nobody has probed yet.
   */
  readonly since: number;
  /** The startup probe passed (or there is none): liveness and readiness run. */
  readonly started: boolean;
  /** The readiness probe passed `successThreshold` times and has not failed `failureThreshold` times since. */
  readonly ready: boolean;
  /** The liveness probe failed `failureThreshold` times in a row. */
  readonly livenessFailed: boolean;
  readonly probes: Readonly<Partial<Record<ProbeKind, ProbeResult>>>;
}

/** Health per instance id of one object. */
export type ObjectHealth = ReadonlyMap<string, InstanceHealth>;

/** Health per object. Objects whose instances have no probes are absent. */
export type Health = ReadonlyMap<ObjectKey, ObjectHealth>;

/**
 * How late probes start against their schedule (the due time the probe book set), over the most
 * recent launches (4,096): what `/metrics` shows as `tend_probe_delay_seconds`.
 */
export interface ProbeTiming {
  /** Probes launched since the prober was created. */
  readonly launched: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Where the controller reads health from; the prober implements it. */
export interface HealthSource {
  /** The current observations. */
  health(): Health;
  /** Called with an object key whenever one of its instances' health changes. */
  subscribe(listener: (object: ObjectKey) => void): () => void;
}
