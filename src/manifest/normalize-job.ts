/**
 * A validated `Job` document to a `JobObject`: the program fields normalised as a Process
 * (`replicas` = completions, restart policy OnFailure, backoff 1 s doubling to 1 m), plus the
 * Job's own fields with defaults, durations in ms and requests in canonical units.
 * Pure, like normalize.ts.
 */
import type { JobConcurrencyPolicy, JobPreemption, JobSpec } from '../model/job.ts';
import { objectKey, type ManifestObject, type ProcessSpec, type SourceRef } from '../model/object.ts';
import { specHash } from '../model/spec-hash.ts';
import type { Problem } from './diagnostics.ts';
import { normalizeProcessSpec, parseDuration, PRIORITY_VALUES, type NormalizeContext } from './normalize.ts';
import { requestsOfRaw } from './normalize-requests.ts';
import { parseCron } from '../scheduler/cron-parse.ts';

/** Job defaults, as job.schema.json records them (durations in ms). */
export const JOB_DEFAULTS = {
  completions: 1,
  parallelism: 1,
  backoffLimit: 3,
  activeDeadlineMs: 0,
  ttlAfterFinishedMs: 0,
  preemption: 'suspend',
  concurrencyPolicy: 'Forbid',
  backoff: { strategy: 'exponential', initialDelay: '1s', maxDelay: '1m' },
} as const;

/** The Job fields beyond the program, as written. */
interface JobInput {
  readonly completions?: number;
  readonly parallelism?: number;
  readonly backoffLimit?: number;
  readonly activeDeadline?: string | number;
  readonly ttlAfterFinished?: string | number;
  readonly preemptible?: boolean;
  readonly preemption?: JobPreemption;
  readonly schedule?: string;
  readonly concurrencyPolicy?: JobConcurrencyPolicy;
  readonly backoff?: Readonly<Record<string, unknown>>;
  readonly priority?: string | number;
}

const PROGRAM_ONLY = ['completions', 'parallelism', 'backoffLimit', 'activeDeadline', 'ttlAfterFinished', 'preemptible', 'preemption', 'schedule', 'concurrencyPolicy'];

/**
 * Normalises a validated Job spec. `preemptible` defaults to true below priority high (30).
 * The result's hash covers the whole spec: any change of a Job's spec is a new run.
 */
export function normalizeJobSpec(
  written: Readonly<Record<string, unknown>>,
  context: NormalizeContext & { readonly source: SourceRef },
): { readonly spec?: JobSpec; readonly hash?: string; readonly problems: readonly Problem[] } {
  const input = written as JobInput;
  const program = Object.fromEntries(Object.entries(written).filter(([name]) => !PROGRAM_ONLY.includes(name)));
  const completions = input.completions ?? JOB_DEFAULTS.completions;
  const asProcess = { ...program, replicas: completions, restartPolicy: 'OnFailure', backoff: { ...JOB_DEFAULTS.backoff, ...(input.backoff ?? {}) } };
  const result = normalizeProcessSpec(asProcess, context);
  const cron = input.schedule === undefined ? undefined : parseCron(input.schedule);
  if (cron?.ok === false) {
    return { problems: [...result.problems, { code: 'ManifestInvalid', severity: 'error', path: ['spec', 'schedule'], message: `${cron.error.message} (a cron expression: minute hour day-of-month month day-of-week, e.g. "0 3 * * *")` }] };
  }
  if (!result.spec) return { problems: result.problems };
  const base: ProcessSpec = { ...result.spec, raw: written, owner: { uid: context.source.uid, gid: context.source.gid } };
  const spec: JobSpec = {
    ...base,
    completions,
    parallelism: input.parallelism ?? JOB_DEFAULTS.parallelism,
    backoffLimit: input.backoffLimit ?? JOB_DEFAULTS.backoffLimit,
    activeDeadlineMs: durationOf(input.activeDeadline, JOB_DEFAULTS.activeDeadlineMs),
    ttlAfterFinishedMs: durationOf(input.ttlAfterFinished, JOB_DEFAULTS.ttlAfterFinishedMs),
    preemptible: input.preemptible ?? base.priority < (PRIORITY_VALUES.high ?? 30),
    preemption: input.preemption ?? JOB_DEFAULTS.preemption,
    ...(input.schedule === undefined ? {} : { schedule: input.schedule }),
    concurrencyPolicy: input.concurrencyPolicy ?? JOB_DEFAULTS.concurrencyPolicy,
    requests: requestsOfRaw(written),
  };
  const { command, shell, workingDir, env, user } = spec;
  // `image` is for the Kubernetes render only: locally it changes nothing, so it starts no new run.
  const { image: _image, ...run } = written;
  const hash = specHash({ program: { command, shell, workingDir, env, user, owner: spec.owner }, written: run });
  return { spec, hash, problems: result.problems };
}

function durationOf(value: string | number | undefined, fallback: number): number {
  return value === undefined ? fallback : (parseDuration(value) ?? fallback);
}

/** The Job object of a validated document; its specHash and contentHash both cover the whole spec. */
export function toJobObject(
  name: string,
  labels: Readonly<Record<string, string>>,
  written: Readonly<Record<string, unknown>>,
  context: NormalizeContext & { readonly source: SourceRef },
): { readonly object?: ManifestObject; readonly problems: readonly Problem[] } {
  const result = normalizeJobSpec(written, context);
  if (!result.spec || result.hash === undefined) return { problems: result.problems };
  const base = { kind: 'Job' as const, name, key: objectKey('Job', name), labels, source: context.source };
  return { object: { ...base, spec: result.spec, specHash: result.hash, contentHash: specHash({ labels, hash: result.hash }) }, problems: result.problems };
}
