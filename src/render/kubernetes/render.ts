/**
 * `tend render kubernetes`: the manifest objects as Kubernetes objects. Owns the whole mapping
 * (see docs/kubernetes.md); must not read files, the clock or the cluster: its input is the
 * loaded manifests with the places of their fields, its output objects in apply order and a
 * report of every field without a faithful Kubernetes form. Deterministic: the same input
 * gives the same objects in the same order.
 */
import { waitAccess } from './dependencies.ts';
import type { KubeObject, NotRendered, RenderOptions, RenderProblem, RenderResult, RenderSource } from './model.ts';
import { priorityClasses } from './priority.ts';
import { quotaResources, renderObject, type SetContext } from './render-object.ts';

/** Apply order: what others reference first. */
const KIND_ORDER = ['PriorityClass', 'ResourceQuota', 'ServiceAccount', 'Role', 'RoleBinding', 'Secret', 'Service', 'Deployment', 'StatefulSet', 'HorizontalPodAutoscaler', 'Job', 'CronJob'];

/**
 * Renders every manifest object. Problems (a program without an image, two objects that would
 * have one Kubernetes name) mean the result must not be applied.
 * @example renderKubernetes(sources, { image: 'registry.example/app:1.0', waitImage: DEFAULT_WAIT_IMAGE })
 */
export function renderKubernetes(sources: readonly RenderSource[], options: RenderOptions): RenderResult {
  const node = sources.find((s) => s.kind === 'Node');
  const set: SetContext = {
    options,
    find: (kind, name) => sources.find((s) => s.kind === kind && s.name === name),
    quotaResources: quotaResources(node),
  };
  const objects: KubeObject[] = [];
  const notRendered: NotRendered[] = [];
  const problems: RenderProblem[] = [];
  const priorities: unknown[] = [];
  let waits = false;
  for (const source of sources) {
    const one = renderObject(source, set);
    objects.push(...one.objects);
    notRendered.push(...one.notRendered);
    if (one.problem) problems.push(one.problem);
    if (one.priority !== undefined) priorities.push(one.priority);
    waits ||= one.waits;
  }
  const preemption = node?.spec.preemption !== false;
  objects.push(...(priorityClasses(priorities, preemption) as KubeObject[]));
  if (waits) objects.push(...(waitAccess(options.namespace) as KubeObject[]));
  problems.push(...collisions(objects, sources));
  return { objects: [...objects].sort(compareObjects), notRendered, problems };
}

/** The kubectl image the dependency waits use unless `--wait-image` names another (`kubectl wait --for=create` needs 1.31+). */
export const DEFAULT_WAIT_IMAGE = 'registry.k8s.io/kubectl:v1.33.0';

/** A kind's place in apply order. */
export function kindRank(kind: string): number {
  return KIND_ORDER.indexOf(kind);
}

function compareObjects(a: KubeObject, b: KubeObject): number {
  const rank = kindRank(a.kind) - kindRank(b.kind);
  return rank !== 0 ? rank : a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

// A one-shot Process and a Job of one name would both be Job <name>.
function collisions(objects: readonly KubeObject[], sources: readonly RenderSource[]): RenderProblem[] {
  const seen = new Map<string, KubeObject>();
  const problems: RenderProblem[] = [];
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata.name}`;
    const first = seen.get(id);
    if (!first) {
      seen.set(id, object);
      continue;
    }
    const from = sourceOf(object, sources);
    if (!from) continue;
    const at = from.locate(['metadata', 'name']);
    problems.push({ file: from.file, line: at.line, col: at.col, message: `${id} would be rendered twice (also from ${first.metadata.annotations?.['tend.dev/source'] ?? 'another manifest'}); rename one of the objects` });
  }
  return problems;
}

function sourceOf(object: KubeObject, sources: readonly RenderSource[]): RenderSource | undefined {
  const labels = object.metadata.labels ?? {};
  return sources.find((s) => s.name === labels['tend.dev/name'] && object.metadata.annotations?.['tend.dev/source'] === s.sourcePath);
}
