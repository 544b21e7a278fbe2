/**
 * `dependsOn` as init containers that wait with kubectl: first until the object depended on
 * exists, then until it meets the condition. Kubernetes can wait for a Deployment or
 * StatefulSet to be rolled out (every replica Ready) and for a Job to be Complete; other
 * conditions are reported instead. Pure.
 */
import { KIND_PREFIX } from '../../model/object.ts';
import type { RenderSource } from './model.ts';
import { workloadKind, type WorkloadKind } from './workload-kind.ts';

/** A `dependsOn` entry as written. */
interface DependencyInput {
  readonly name: string;
  readonly kind?: 'Process' | 'Job';
  readonly condition?: 'started' | 'ready' | 'completed';
}

/** How to wait for one dependency: the kubectl resource and the command that waits for its condition. */
export interface DependencyWait {
  readonly resource: string;
  readonly until: readonly string[];
}

/** Finds the object a dependency names. */
export type FindSource = (kind: 'Process' | 'Job', name: string) => RenderSource | undefined;

/** The wait for a `dependsOn` entry, or why Kubernetes cannot express it. */
export function dependencyWait(entry: unknown, find: FindSource): DependencyWait | { readonly drop: string } {
  const dep = entry as DependencyInput;
  const kind = dep.kind ?? 'Process';
  const condition = dep.condition ?? 'started';
  const target = find(kind, dep.name);
  const workload = target ? workloadKind(target) : undefined;
  if (!target || !workload) return { drop: `${KIND_PREFIX[kind]}/${dep.name} is not rendered` };
  const resource = `${workload.toLowerCase()}/${dep.name}`;
  if (isJob(workload)) {
    if (condition === 'completed' && workload === 'Job') return { resource, until: ['wait', '--for=condition=Complete', resource, '--timeout=-1s'] };
    return { drop: `Kubernetes can wait for a Job to complete, not for its pods to be ${condition}` };
  }
  if (condition === 'started' && hasReadinessProbe(target)) {
    return { drop: `Kubernetes can wait for ${resource} to be ready (rolled out), not started: it has a readiness probe` };
  }
  return { resource, until: ['rollout', 'status', resource, '--timeout=0s'] };
}

function isJob(workload: WorkloadKind): boolean {
  return workload === 'Job' || workload === 'CronJob';
}

function hasReadinessProbe(source: RenderSource): boolean {
  const probes = source.spec.probes as { readiness?: unknown } | undefined;
  return probes?.readiness !== undefined;
}

/**
 * The init containers that wait for a program's dependencies, in the order written. They run
 * under the `tend-wait` service account (see {@link waitAccess}). `resources` states the
 * zero requests a Node's quota needs of every container.
 */
export function waitContainers(waits: readonly DependencyWait[], image: string, resources: Record<string, unknown> | undefined): Record<string, unknown>[] {
  const limits = resources ? { resources } : {};
  return waits.flatMap((wait, index) => [
    { name: `wait-${index}-created`, image, args: ['wait', '--for=create', wait.resource, '--timeout=-1s'], ...limits },
    { name: `wait-${index}`, image, args: [...wait.until], ...limits },
  ]);
}

/** The service account, role and binding that let the wait containers read the objects they wait for. */
export function waitAccess(namespace: string | undefined): Record<string, unknown>[] {
  const metadata = { name: WAIT_ACCOUNT, ...(namespace ? { namespace } : {}) };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [
        { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: WAIT_ACCOUNT },
      subjects: [{ kind: 'ServiceAccount', name: WAIT_ACCOUNT, namespace: namespace ?? 'default' }],
    },
  ];
}

/** The service account of pods that wait for dependencies. */
export const WAIT_ACCOUNT = 'tend-wait';
