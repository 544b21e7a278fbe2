/**
 * One manifest object to its Kubernetes objects, with the fields that were not rendered. Pure.
 */
import { objectKey, KIND_PREFIX } from '../../model/object.ts';
import { dependencyWait, type DependencyWait, type FindSource } from './dependencies.ts';
import { memoryLimit } from './kind-rules.ts';
import { KIND_LABEL, NAME_LABEL, NOT_RENDERED_ANNOTATION, SOURCE_ANNOTATION, type KubeMeta, type KubeObject, type NotRendered, type RenderOptions, type RenderProblem, type RenderSource } from './model.ts';
import { renderPodTemplate } from './pod.ts';
import type { RuleContext } from './rule-types.ts';
import { notRenderedFields } from './walk-fields.ts';
import { programOf, programPath, workloadKind, type WorkloadKind } from './workload-kind.ts';
import { autoscaler, deployment, jobOrCronJob, jobRun, processRun, statefulSet, type WorkloadParts } from './workloads.ts';
import { quantity } from './units.ts';

/** What rendering one object needs to know about the others. */
export interface SetContext {
  readonly options: RenderOptions;
  readonly find: FindSource;
  /** Kubernetes names of the resources the Node's quota holds. */
  readonly quotaResources: readonly string[];
}

/** The objects of one manifest object, its unrendered fields, and a problem when it cannot be rendered. */
export interface ObjectRender {
  readonly objects: readonly KubeObject[];
  readonly notRendered: readonly NotRendered[];
  readonly problem?: RenderProblem;
  /** The priority its pods run at, and whether they wait for dependencies. */
  readonly priority?: unknown;
  readonly waits: boolean;
}

/** Renders one manifest object. */
export function renderObject(source: RenderSource, set: SetContext): ObjectRender {
  const workload = workloadKind(source);
  const program = workload ? programOf(source) : {};
  const dependencyDrop = (entry: unknown): string | undefined => {
    const wait = dependencyWait(entry, set.find);
    return 'drop' in wait ? wait.drop : undefined;
  };
  const context: RuleContext = { source, workload, program, dependencyDrop };
  const notRendered = notRenderedFields(context);
  const meta = metadata(source, set.options, notRendered);
  if (!workload) return { objects: [resourceQuota(source, meta)], notRendered, waits: false };
  const image = typeof program.image === 'string' ? program.image : set.options.image;
  const problem = image === undefined ? noImage(source) : nameTooLong(source, workload);
  if (problem || image === undefined) return { objects: [], notRendered, ...(problem ? { problem } : {}), waits: false };
  const waits = ((program.dependsOn ?? []) as unknown[]).map((entry) => dependencyWait(entry, set.find)).filter((w): w is DependencyWait => !('drop' in w));
  const objects = workloadObjects(source, { workload, program, meta, image, waits, set });
  return { objects, notRendered, priority: program.priority ?? 'normal', waits: waits.length > 0 };
}

function noImage(source: RenderSource): RenderProblem {
  const at = source.locate([...programPath(source), 'image']);
  const message = `${objectKey(source.kind, source.name)}: no container image: set ${[...programPath(source), 'image'].join('.')} or pass --image`;
  return { file: source.file, line: at.line, col: at.col, message };
}

// Kubernetes derives names from these (a CronJob's Jobs, a StatefulSet's revision label) and caps them at 63.
const MAX_NAME: Partial<Record<WorkloadKind, number>> = { CronJob: 52, StatefulSet: 52 };

function nameTooLong(source: RenderSource, workload: WorkloadKind): RenderProblem | undefined {
  const max = MAX_NAME[workload];
  if (max === undefined || source.name.length <= max) return undefined;
  const at = source.locate(['metadata', 'name']);
  const message = `${objectKey(source.kind, source.name)}: a ${workload} name has at most ${max} characters in Kubernetes (got ${source.name.length}); shorten the name`;
  return { file: source.file, line: at.line, col: at.col, message };
}

interface WorkloadInput {
  readonly workload: WorkloadKind;
  readonly program: Readonly<Record<string, unknown>>;
  readonly meta: KubeMeta;
  readonly image: string;
  readonly waits: readonly DependencyWait[];
  readonly set: SetContext;
}

function workloadObjects(source: RenderSource, input: WorkloadInput): KubeObject[] {
  const { workload, program, meta, set } = input;
  const selector = selectorOf(source);
  const ports = source.kind === 'ProcessPool' ? (source.spec.ports as { from?: number } | undefined) : undefined;
  const isJob = workload === 'Job' || workload === 'CronJob';
  const pod = renderPodTemplate(program, {
    secretPrefix: `${KIND_PREFIX[source.kind]}-${source.name}`,
    name: source.name,
    workload,
    envFiles: source.envFiles,
    ...(ports?.from === undefined ? {} : { port: ports.from }),
    image: input.image,
    labels: { ...source.labels, ...selector },
    restartPolicy: isJob ? 'Never' : 'Always',
    waits: input.waits,
    waitImage: set.options.waitImage,
    quotaResources: set.quotaResources,
  });
  const parts: WorkloadParts = { meta, selector, template: pod.template };
  const secrets = pod.secrets.map((s) => secret(s.name, s.data, meta));
  return [...mainObjects(source, workload, parts), ...secrets] as KubeObject[];
}

function mainObjects(source: RenderSource, workload: WorkloadKind, parts: WorkloadParts): Record<string, unknown>[] {
  const spec = source.spec;
  if (source.kind === 'Job') return [jobOrCronJob(parts, spec, jobRun(spec))];
  if (workload === 'Job') return [jobOrCronJob(parts, {}, processRun(spec))];
  const autoscale = source.kind === 'ProcessPool' && spec.autoscale !== undefined;
  const replicas = autoscale ? undefined : source.kind === 'ProcessPool' ? numberOr(spec.minReplicas, 1) : numberOr(spec.replicas, 1);
  const objects = workload === 'StatefulSet' ? statefulSet(parts, replicas) : [deployment(parts, replicas, programOf(source))];
  if (!autoscale) return objects;
  return [...objects, autoscaler(parts.meta, { kind: workload, name: source.name }, spec, memoryLimit(programOf(source)))];
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

/** The labels that select an object's pods: `tend.dev/kind` and `tend.dev/name`. */
export function selectorOf(source: RenderSource): Record<string, string> {
  return { [KIND_LABEL]: KIND_PREFIX[source.kind], [NAME_LABEL]: source.name };
}

function metadata(source: RenderSource, options: RenderOptions, notRendered: readonly NotRendered[]): KubeMeta {
  const lines = notRendered.map((n) => `${n.field}: ${n.why}`);
  const annotations = { [SOURCE_ANNOTATION]: source.sourcePath, ...(lines.length > 0 ? { [NOT_RENDERED_ANNOTATION]: lines.join('\n') } : {}) };
  return {
    name: source.name,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    labels: { ...source.labels, ...selectorOf(source) },
    annotations,
  };
}

function secret(name: string, data: Readonly<Record<string, string>>, owner: KubeMeta): Record<string, unknown> {
  const { annotations: _annotations, ...meta } = owner;
  return { apiVersion: 'v1', kind: 'Secret', metadata: { ...meta, name }, type: 'Opaque', stringData: { ...data } };
}

const QUOTA_NAMES: Readonly<Record<string, string>> = { cpu: 'cpu', memory: 'memory', disk: 'ephemeral-storage' };

/** The Kubernetes names of the Node's capacity that a ResourceQuota can hold (cpu, memory, disk). */
export function quotaResources(node: RenderSource | undefined): string[] {
  const capacity = (node?.spec.capacity ?? {}) as Readonly<Record<string, unknown>>;
  return Object.keys(QUOTA_NAMES).filter((name) => capacity[name] !== undefined).map((name) => QUOTA_NAMES[name] ?? name);
}

// The Node's capacity as a quota on the sum of requests, which is how tend admits work.
function resourceQuota(source: RenderSource, meta: KubeMeta): KubeObject {
  const capacity = (source.spec.capacity ?? {}) as Readonly<Record<string, unknown>>;
  const hard: Record<string, string> = {};
  for (const [name, k8s] of Object.entries(QUOTA_NAMES)) if (capacity[name] !== undefined) hard[`requests.${k8s}`] = quantity(capacity[name]);
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: meta, spec: { hard } };
}
