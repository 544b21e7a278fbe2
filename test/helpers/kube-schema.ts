/**
 * Validation of rendered objects against the Kubernetes 1.33 schemas of kubernetes-models
 * (pinned devDependency), with unknown fields refused. The published schemas accept unknown
 * fields, so each field is also probed: a value no schema accepts is put in its place, and a
 * field the schema knows must then fail validation at that place. A field whose probe passes
 * is unknown to Kubernetes.
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1/PriorityClass';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: Record<string, unknown>) => Validatable;

const MODELS: Readonly<Record<string, ModelClass>> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/CronJob': CronJob,
  'batch/v1/Job': Job,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding as unknown as ModelClass,
  'scheduling.k8s.io/v1/PriorityClass': PriorityClass as unknown as ModelClass,
  'v1/ResourceQuota': ResourceQuota,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};

type Path = readonly (string | number)[];

/** Schema errors of one object (`/spec/replicas: must be integer`), unknown fields included; empty when valid. */
export function kubernetesSchemaErrors(object: Readonly<Record<string, unknown>>): string[] {
  const model = MODELS[`${String(object.apiVersion)}/${String(object.kind)}`];
  if (!model) return [`no schema for ${String(object.apiVersion)} ${String(object.kind)}`];
  const errors = validationErrors(model, object);
  if (errors.length > 0) return errors.map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}`);
  return fieldPaths(object)
    .filter((path) => !isKnown(model, object, path))
    .map((path) => `${pointer(path)}: unknown field`);
}

interface SchemaError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
}

function validationErrors(model: ModelClass, data: Readonly<Record<string, unknown>>): SchemaError[] {
  try {
    new model(data).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: SchemaError[] }).errors;
    if (!errors) throw error;
    return errors;
  }
}

// A field is known when a symbol in its place (a value of no JSON type) fails validation there.
function isKnown(model: ModelClass, object: Readonly<Record<string, unknown>>, path: Path): boolean {
  const probe = structuredClone(object) as Record<string, unknown>;
  let parent: Record<string | number, unknown> = probe;
  for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>;
  parent[path[path.length - 1] as string | number] = Symbol('probe');
  const at = pointer(path);
  return validationErrors(model, probe).some((e) => e.instancePath === at || e.instancePath.startsWith(`${at}/`));
}

// Every map key (not list index) in the object, depth first.
function fieldPaths(value: unknown, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => fieldPaths(item, [...path, index]));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [[...path, key], ...fieldPaths(child, [...path, key])]);
}

function pointer(path: Path): string {
  return path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
