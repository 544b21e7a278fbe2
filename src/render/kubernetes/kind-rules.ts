/**
 * The rule table of every kind: the program fields (program-rules.ts) plus each kind's own.
 * A test walks the JSON schemas in schemas/ and fails when a field has no rule here.
 */
import type { Kind } from '../../model/object.ts';
import { durationMs, isWholeSeconds } from './units.ts';
import { PROGRAM_RULES, seconds } from './program-rules.ts';
import { drop, under, when, type Rule, type RuleContext, type RuleTable } from './rule-types.ts';

const isLongRunning = (context: RuleContext): boolean => context.workload === 'Deployment' || context.workload === 'StatefulSet';

const probe = (name: string): RuleTable => ({
  [name]: 'each',
  [`${name}.exec`]: 'field',
  [`${name}.http`]: 'field',
  [`${name}.tcp`]: 'field',
  [`${name}.initialDelay`]: seconds('probe delays'),
  [`${name}.period`]: seconds('probe periods'),
  [`${name}.timeout`]: seconds('probe timeouts'),
  [`${name}.failureThreshold`]: 'field',
  [`${name}.successThreshold`]: name.endsWith('readiness') ? 'field' : when((value) => value === 1, 'Kubernetes requires successThreshold 1 for liveness and startup probes'),
});

// updateStrategy: a Deployment has all of it, a StatefulSet rolls one pod at a time, a Job has none.
const updateStrategy: Rule = (_value, context) => (isLongRunning(context) ? 'each' : drop("a Job's pods are not updated in place"));
const STATEFUL_ONLY = "a StatefulSet rolls one pod at a time, old pod first";
const UPDATE_RULES: RuleTable = {
  updateStrategy,
  'updateStrategy.type': when((value, context) => context.workload === 'Deployment' || value === 'RollingUpdate', 'a StatefulSet has no Recreate strategy'),
  'updateStrategy.maxUnavailable': when((value, context) => context.workload === 'Deployment' || value === 1, STATEFUL_ONLY),
  'updateStrategy.maxSurge': when((value, context) => context.workload === 'Deployment' || value === 0, STATEFUL_ONLY),
};

/** Fields of a supervised program: a Process and a pool's template. */
const SUPERVISED_RULES: RuleTable = {
  ...PROGRAM_RULES,
  restartPolicy: 'field',
  backoff: drop('Kubernetes restarts with its own back-off (10s doubling to 5m)'),
  maxRestarts: when((_value, context) => !isLongRunning(context), 'Kubernetes restarts a container without limit'),
  circuitBreaker: drop('Kubernetes has no circuit breaker: it keeps restarting with back-off'),
  recovery: 'each',
  'recovery.strategy': when((value) => value === 'restart', 'Kubernetes restarts a failed container in place; it has no replace or fallback'),
  'recovery.fallback': drop('Kubernetes has no fallback program for a failing container'),
  startupTimeout: when((value) => durationMs(value) === 0, 'Kubernetes bounds startup only by the startup probe (failureThreshold x period)'),
  probes: 'each',
  ...probe('probes.startup'),
  ...probe('probes.liveness'),
  ...probe('probes.readiness'),
  dependsOn: 'each',
  'dependsOn.*': (entry, context) => {
    const why = context.dependencyDrop(entry);
    return why === undefined ? 'field' : drop(why);
  },
  ...UPDATE_RULES,
  alerts: drop('Kubernetes raises no alerts; use the metrics of your monitoring'),
  preemptible: when((value) => value === true, 'Kubernetes lets any higher-priority pod preempt this one; preemptionPolicy Never only stops a pod from preempting others'),
};

const PROCESS_RULES: RuleTable = { replicas: 'field', ...SUPERVISED_RULES };

const JOB_RULES: RuleTable = {
  ...PROGRAM_RULES,
  backoff: drop('Kubernetes retries a Job with its own back-off (10s doubling to 6m)'),
  completions: 'field',
  parallelism: 'field',
  backoffLimit: 'field',
  activeDeadline: seconds('activeDeadlineSeconds'),
  preemptible: when((value) => value === true, 'Kubernetes lets any higher-priority pod preempt this one; preemptionPolicy Never only stops a pod from preempting others'),
  preemption: when((value) => value === 'requeue', 'Kubernetes preemption deletes the pod and the Job runs it again (requeue); it cannot suspend it'),
  schedule: 'field',
  concurrencyPolicy: 'field',
  ttlAfterFinished: seconds('ttlSecondsAfterFinished'),
};

const stabilization = when((value) => isWholeSeconds(value) && durationMs(value) <= 3_600_000, 'a HorizontalPodAutoscaler stabilization window is whole seconds up to 1h');
const hasAutoscale = (context: RuleContext): boolean => context.source.spec.autoscale !== undefined;

const POOL_RULES: RuleTable = {
  template: 'each',
  ...under('template', SUPERVISED_RULES),
  minReplicas: when((value, context) => !hasAutoscale(context) || value !== 0, 'a HorizontalPodAutoscaler keeps at least 1 replica'),
  maxReplicas: when((_value, context) => hasAutoscale(context), 'Kubernetes does not grow a Deployment on lease demand; without autoscale it keeps minReplicas'),
  idleTimeout: drop('Kubernetes has no leases, so no idle worker to reap'),
  maxLeasesPerWorker: drop('Kubernetes has no leases to count'),
  leaseTimeout: drop('Kubernetes has no leases'),
  autoscale: 'each',
  'autoscale.metric': when((value, context) => value !== 'memory' || memoryLimit(context.program) !== undefined, 'memory autoscaling is in percent of the memory limit, and the template sets none; the autoscaler uses cpu'),
  'autoscale.target': 'field',
  'autoscale.stabilization': 'each',
  'autoscale.stabilization.up': stabilization,
  'autoscale.stabilization.down': stabilization,
  ports: 'each',
  'ports.from': 'field',
  'ports.to': drop('every pod has its own network namespace, so every worker listens on ports.from'),
};

const NODE_RULES: RuleTable = {
  capacity: 'each',
  'capacity.cpu': 'field',
  'capacity.memory': 'field',
  'capacity.disk': 'field',
  'capacity.*': drop('a ResourceQuota holds only resources the cluster knows; custom counts have no quota'),
  maxConcurrentJobs: when((value) => value === 0, 'a ResourceQuota counts Job objects, not running Jobs'),
  preemption: 'field',
  aging: drop('the Kubernetes scheduler does not raise the priority of waiting pods'),
  timeSlice: when((value) => durationMs(value) === 0, 'Kubernetes does not time-slice pods'),
  monitor: drop("the kubelet samples resources at its own interval"),
};

/** The memory limit of a program (a pool's template), as written. */
export function memoryLimit(program: Readonly<Record<string, unknown>>): unknown {
  const resources = program.resources as { limits?: { memory?: unknown } } | undefined;
  return resources?.limits?.memory;
}

/** The rules of a kind's spec, by pattern under `spec.`. */
export const KIND_RULES: Readonly<Record<Kind, RuleTable>> = {
  Process: under('spec', PROCESS_RULES),
  ProcessPool: under('spec', POOL_RULES),
  Job: under('spec', JOB_RULES),
  Node: under('spec', NODE_RULES),
};
