/** The scheduling pass as the controller runs it: units built from 10,000 Job objects, then `schedule`. */
import type { JobObject } from '../src/model/job.ts';
import { scheduleWorld } from '../src/planner/scheduling.ts';
import { percentile } from './harness.ts';

/** Median ms of `scheduleWorld` (and one verdict read, which builds the verdict map) over `n` pending single-completion Jobs on a 64-core Node. */
export function wiredSchedulingPass(n: number): number {
  const objects = new Map<string, JobObject>();
  for (let i = 0; i < n; i++) {
    const name = `job-${i}`;
    const spec = {
      command: ['true'], shell: false, workingDir: '/', env: {}, secretEnv: [], replicas: 1, restartPolicy: 'OnFailure' as const,
      backoff: { strategy: 'exponential' as const, initialDelayMs: 1000, maxDelayMs: 60_000, multiplier: 2, jitter: 0.1, resetAfterMs: 600_000 },
      maxRestarts: 0, stop: { signal: 'SIGTERM', gracePeriodMs: 10_000 }, lifecycle: {}, logs: { maxSizeBytes: 1, maxFiles: 1 }, startupTimeoutMs: 0,
      probes: {}, updateStrategy: { type: 'RollingUpdate' as const, maxUnavailable: 1, maxSurge: 0 }, dependsOn: [], priority: (i * 7) % 41, raw: {},
      completions: 1, parallelism: 1, backoffLimit: 3, activeDeadlineMs: 0, ttlAfterFinishedMs: 0, preemptible: true, preemption: 'suspend' as const,
      concurrencyPolicy: 'Forbid' as const, requests: { cpu: 0.25 + (i % 4) * 0.25, memory: ((i % 5) + 1) * 2 ** 28 },
    };
    objects.set(`job/${name}`, { kind: 'Job', name, key: `job/${name}`, labels: {}, source: { file: 'j.yaml', line: 1, col: 1, uid: 0, gid: 0 }, spec, specHash: 'h', contentHash: 'c' });
  }
  const policy = { capacity: { cpu: 64, memory: 128 * 2 ** 30 }, maxConcurrentJobs: 150, preemption: true, aging: { everyMs: 60_000, boost: 1 }, timeSliceMs: 0 };
  const input = { objects, observed: new Map(), history: new Map(), policy, now: 120_000 };
  const samples = Array.from({ length: 25 }, () => {
    const t0 = performance.now();
    scheduleWorld(input).admission('job/job-0', 'job-0-0');
    return performance.now() - t0;
  }).slice(5);
  return percentile(samples, 50);
}
