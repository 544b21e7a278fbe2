/**
 * Job planner fixtures: a Job object with every default filled in, and instances of it, built
 * independently of src/manifest so a test does not re-use the code it checks.
 */
import type { ExitInfo, ObservedInstance } from '../../src/model/instance.ts';
import type { JobObject, JobSpec } from '../../src/model/job.ts';
import { HASH, NOW, SPEC } from './fixtures.ts';

export { HASH, NOW };

/** A normalised Job spec: one completion, backoff 1 s doubling without jitter, low priority. */
export const JOB_SPEC: JobSpec = {
  ...SPEC,
  replicas: 1,
  restartPolicy: 'OnFailure',
  backoff: { strategy: 'exponential', initialDelayMs: 1000, maxDelayMs: 60_000, multiplier: 2, jitter: 0, resetAfterMs: 600_000 },
  completions: 1,
  parallelism: 1,
  backoffLimit: 3,
  activeDeadlineMs: 0,
  ttlAfterFinishedMs: 0,
  preemptible: true,
  preemption: 'suspend',
  concurrencyPolicy: 'Forbid',
  requests: {},
  priority: 10,
};

/** A Job object named `name` (key `job/<name>`). */
export function jobObject(name = 'report', spec: Partial<JobSpec> = {}, specHash = HASH): JobObject {
  return {
    kind: 'Job',
    name,
    key: `job/${name}`,
    labels: {},
    source: { file: 'manifests/jobs.yaml', line: 1, col: 1, uid: 1000, gid: 1000 },
    spec: { ...JOB_SPEC, replicas: spec.completions ?? 1, ...spec },
    specHash,
    contentHash: `c-${specHash}`,
  };
}

/** A running instance of completion index `index`, started one second before NOW. */
export function jobRunning(index: number, patch: Partial<ObservedInstance> = {}, name = 'report'): ObservedInstance {
  return { id: `${name}-${index}`, object: `job/${name}`, replica: index, pid: 200 + index, startTicks: 1, specHash: HASH, generation: 1, startedAt: NOW - 1000, state: 'running', ...patch };
}

/** An exited instance: by default it succeeded (code 0) ten seconds before NOW. */
export function jobExited(index: number, exit: Partial<ExitInfo> = {}, patch: Partial<ObservedInstance> = {}, name = 'report'): ObservedInstance {
  const at = exit.at ?? NOW - 10_000;
  return jobRunning(index, { state: 'exited', startedAt: at - 1000, exit: { code: 0, signal: null, reason: 'Exited', requested: false, ...exit, at }, ...patch }, name);
}
