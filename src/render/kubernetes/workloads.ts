/**
 * The workload objects: Deployment, StatefulSet, Job and CronJob around a pod template, and a
 * pool's HorizontalPodAutoscaler. Pure.
 */
import type { KubeMeta } from './model.ts';
import { ceilSeconds, durationMs, INT32_MAX, quantity } from './units.ts';
import { parseQuantity } from '../../manifest/normalize.ts';

type Spec = Readonly<Record<string, unknown>>;
type Obj = Record<string, unknown>;

/** What every workload builder takes. */
export interface WorkloadParts {
  readonly meta: KubeMeta;
  readonly selector: Readonly<Record<string, string>>;
  readonly template: Obj;
}

/** A Process or pool as a Deployment; `replicas` undefined leaves them to an autoscaler. */
export function deployment(parts: WorkloadParts, replicas: number | undefined, program: Spec): Obj {
  const update = (program.updateStrategy ?? {}) as { type?: string; maxUnavailable?: number; maxSurge?: number };
  const strategy =
    update.type === 'Recreate'
      ? { type: 'Recreate' }
      : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: update.maxUnavailable ?? 1, maxSurge: update.maxSurge ?? 0 } };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: parts.meta,
    spec: { ...(replicas === undefined ? {} : { replicas }), selector: { matchLabels: parts.selector }, strategy, template: parts.template },
  };
}

/**
 * A Process or pool that relies on its ordinal as a StatefulSet: pods `web-0`, `web-1`, ...
 * started all at once (tend does not start replicas in order), with a headless Service as the
 * StatefulSet requires.
 */
export function statefulSet(parts: WorkloadParts, replicas: number | undefined): Obj[] {
  const set = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: parts.meta,
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      serviceName: parts.meta.name,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: parts.selector },
      updateStrategy: { type: 'RollingUpdate' },
      template: parts.template,
    },
  };
  const { annotations: _annotations, ...serviceMeta } = parts.meta;
  const service = { apiVersion: 'v1', kind: 'Service', metadata: serviceMeta, spec: { clusterIP: 'None', selector: parts.selector } };
  return [set, service];
}

/** The run fields of a Kubernetes Job: every instance an index, disruptions (preemption) not counted as failures. */
export interface JobRun {
  readonly completions: number;
  readonly parallelism: number;
  readonly backoffLimit?: number;
  readonly backoffLimitPerIndex?: number;
  readonly activeDeadline?: unknown;
  readonly ttlAfterFinished?: unknown;
}

/** The `spec` of a Kubernetes Job. */
export function jobSpec(run: JobRun, template: Obj): Obj {
  const deadline = durationMs(run.activeDeadline ?? 0);
  const ttl = durationMs(run.ttlAfterFinished ?? 0);
  return {
    completions: run.completions,
    parallelism: run.parallelism,
    completionMode: 'Indexed',
    ...(run.backoffLimitPerIndex === undefined ? { backoffLimit: run.backoffLimit ?? INT32_MAX } : { backoffLimitPerIndex: run.backoffLimitPerIndex }),
    ...(deadline > 0 ? { activeDeadlineSeconds: ceilSeconds(run.activeDeadline) } : {}),
    ...(ttl > 0 ? { ttlSecondsAfterFinished: ceilSeconds(run.ttlAfterFinished) } : {}),
    podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] },
    template,
  };
}

/** A one-shot Process's run: one completion per replica; Never retries nothing, OnFailure up to maxRestarts per instance. */
export function processRun(spec: Spec): JobRun {
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const maxRestarts = typeof spec.maxRestarts === 'number' ? spec.maxRestarts : 0;
  const base = { completions: replicas, parallelism: replicas };
  if (spec.restartPolicy === 'Never') return { ...base, backoffLimit: 0 };
  return maxRestarts > 0 ? { ...base, backoffLimitPerIndex: maxRestarts } : base;
}

/** A tend Job's run, with its defaults (1 completion, parallelism 1, backoffLimit 3). */
export function jobRun(spec: Spec): JobRun {
  return {
    completions: typeof spec.completions === 'number' ? spec.completions : 1,
    parallelism: typeof spec.parallelism === 'number' ? spec.parallelism : 1,
    backoffLimit: typeof spec.backoffLimit === 'number' ? spec.backoffLimit : 3,
    activeDeadline: spec.activeDeadline,
    ttlAfterFinished: spec.ttlAfterFinished,
  };
}

/** A Job, or a CronJob with the Job as its template when the spec has a schedule. */
export function jobOrCronJob(parts: WorkloadParts, spec: Spec, run: JobRun): Obj {
  const job = jobSpec(run, parts.template);
  if (typeof spec.schedule !== 'string') return { apiVersion: 'batch/v1', kind: 'Job', metadata: parts.meta, spec: job };
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: parts.meta,
    spec: {
      schedule: spec.schedule,
      concurrencyPolicy: typeof spec.concurrencyPolicy === 'string' ? spec.concurrencyPolicy : 'Forbid',
      jobTemplate: { metadata: { labels: parts.meta.labels ?? {} }, spec: job },
    },
  };
}

interface Autoscale {
  readonly metric?: 'cpu' | 'memory';
  readonly target?: number;
  readonly stabilization?: { readonly up?: string | number; readonly down?: string | number };
}

/**
 * A pool's `autoscale` as a HorizontalPodAutoscaler. tend's cpu target is percent of one core
 * and its memory target percent of the memory limit, so both are average values (not
 * Kubernetes' percent of the request).
 */
export function autoscaler(meta: KubeMeta, target: { kind: string; name: string }, pool: Spec, memoryLimit: unknown): Obj {
  const input = pool.autoscale as Autoscale;
  const percent = input.target ?? 70;
  const memory = input.metric === 'memory' ? parseQuantity(memoryLimit as string | number) : undefined;
  const averageValue = memory === undefined ? `${Math.round(percent * 10)}m` : quantity(Math.ceil((memory * percent) / 100));
  const window = (value: string | number | undefined, fallback: string): number => Math.min(3600, ceilSeconds(value ?? fallback));
  const { annotations: _annotations, ...hpaMeta } = meta;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: hpaMeta,
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: target.kind, name: target.name },
      minReplicas: Math.max(1, typeof pool.minReplicas === 'number' ? pool.minReplicas : 1),
      maxReplicas: typeof pool.maxReplicas === 'number' ? pool.maxReplicas : 10,
      metrics: [{ type: 'Resource', resource: { name: memory === undefined ? 'cpu' : 'memory', target: { type: 'AverageValue', averageValue } } }],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: window(input.stabilization?.up, '0s') },
        scaleDown: { stabilizationWindowSeconds: window(input.stabilization?.down, '60s') },
      },
    },
  };
}
