/**
 * The status view of objects and instances (`tend get -o json`, `describe`, the API), derived
 * from the same desired state, observations, history and plan the controller works from. Pure.
 * Field names here are a contract (SPEC §2): add freely, rename none.
 */
import { manifestView } from './manifest-view.ts';
import type { Action, Plan } from '../model/action.ts';
import type { CircuitPolicy, CircuitRecord, FailureRecord } from '../model/failure.ts';
import { CLOSED, circuitState } from '../planner/circuit-breaker.ts';
import type { History, ObjectHistory, SlotHistory } from '../model/history.ts';
import type { Observed, ObservedInstance } from '../model/instance.ts';
import type { ResourceUsage } from '../model/usage.ts';
import type { PoolStats } from '../model/pool.ts';
import { isProcessObject, knownKeys, type DesiredState, type HookName, type ManifestObject, type ObjectKey, type ProcessObject, type ProcessSpec } from '../model/object.ts';
import { recoveryStats, type RecoveryStats } from '../planner/failures.ts';
import { dependencyStatuses, type DependencyStatus, type DependencyWorld } from '../planner/dependencies.ts';
import { instancePhase, isInstanceReady, objectPhase } from '../planner/phase.ts';
import { healthOf, NO_HEALTH } from '../planner/health.ts';
import { fallbackPhase } from '../planner/recovery.ts';
import { specOfInstance } from '../planner/revision.ts';
import type { Health, ObjectHealth, ProbeKind, ProbeResult } from '../model/health.ts';
import { LIMITED_RESOURCES, type Enforcement, type LimitedResource } from '../model/limits.ts';
import type { AlertSeverity } from '../planner/alerts.ts';
import type { InstanceAlert } from './resource-guard.ts';
import { isJobObject } from '../model/job.ts';
import type { SchedulingStats } from '../planner/scheduling.ts';
import { jobInstancePhase, jobSummary, type JobStatusView } from './job-status.ts';

export interface InstanceView {
  readonly id: string;
  readonly pid: number | null;
  readonly phase: string;
  readonly ready: boolean;
  /** The lifecycle hook running now: `preStart`, `postStart`, `preStop` or `postStop`. */
  readonly hook?: HookName;
  readonly restarts: number;
  readonly startedAt: string | null;
  readonly lastExit: { code: number | null; signal: string | null; reason: string; at: string } | null;
  readonly reason: string;
  readonly generation: number;
  readonly specHash: string;
  /** Set on the instance running the object's `recovery.fallback` program in slot `replica`. */
  readonly fallback?: true;
  /** The replica slot the instance serves. */
  readonly replica?: number;
  /** The last result of each probe of a running instance, once probed. */
  readonly probes?: Readonly<Partial<Record<ProbeKind, ProbeView>>>;
  /** The whole process group's latest sample; absent until the monitor has sampled it. */
  readonly usage?: ResourceUsage;
  /** Each limit of a live instance and how it is held (`cgroup`, `rlimit` or `monitor`). */
  readonly limits?: Readonly<Partial<Record<LimitedResource, LimitView>>>;
}

/** One limit of an instance, as `get -o json` and `describe` show it. */
export interface LimitView {
  /** Bytes, bytes per second, a count, or CPU cores. */
  readonly limit: number;
  readonly enforcement: Enforcement;
}

/** An open resource alert, as `status.alerts[]` and `GET /v1/alerts` show it. */
export interface AlertView {
  readonly object: ObjectKey;
  readonly instance: string;
  readonly resource: LimitedResource;
  readonly severity: AlertSeverity;
  readonly value: number;
  readonly limit: number;
  /** ISO 8601. */
  readonly since: string;
}

/** The last result of one probe, as `get -o json` and `describe` show it. */
export interface ProbeView {
  readonly ok: boolean;
  /** ISO 8601. */
  readonly at: string;
  readonly message: string;
  /** Consecutive successes and failures up to this result. */
  readonly successes: number;
  readonly failures: number;
}

export interface ObjectView {
  readonly kind: string;
  readonly name: string;
  readonly key: ObjectKey;
  readonly labels: Readonly<Record<string, string>>;
  readonly generation: number;
  readonly revision: string;
  readonly source: string | null;
  /** The spec as the controller runs it, secrets redacted; absent for objects gone from the manifests. */
  readonly spec?: Readonly<Record<string, unknown>>;
  /** The spec as the manifest wrote it (durations as written), secrets redacted. */
  readonly manifest?: Readonly<Record<string, unknown>>;
  readonly status: {
    readonly phase: string;
    readonly reason: string;
    readonly replicas: number;
    readonly readyReplicas: number;
    readonly restarts: number;
    readonly override?: { readonly type: string; readonly at: string };
    /** The circuit breaker, when the object has one. */
    readonly circuit?: { readonly state: string; readonly openedAt: string | null };
    /** Failures of the instances, newest last (bounded), with ISO times. */
    readonly failures: readonly FailureView[];
    readonly recovery: RecoveryStats;
    /** Each `dependsOn` entry and whether it is met, when the object has any. */
    readonly dependencies?: readonly DependencyStatus[];
    /** Open resource alerts of the instances. */
    readonly alerts: readonly AlertView[];
    /** ProcessPool: lease statistics (`tend up` only). */
    readonly pool?: PoolStats;
    /** A Job's run: completions, duration, priority, queue position. */
    readonly job?: JobStatusView;
    /** On Jobs and the Node: the machine's queue and use of capacity. */
    readonly scheduling?: SchedulingStats;
  };
  readonly instances: readonly InstanceView[];
}

/** A failure as `status.failures[]` shows it. */
export interface FailureView {
  readonly at: string;
  readonly instance: string;
  readonly type: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string | null;
  readonly recoveredAt: string | null;
  /** What the failure was, when known (`memory 312 MiB > limit 256 MiB`). */
  readonly message: string | null;
}

export interface StatusInput {
  readonly desired: DesiredState;
  readonly observed: Observed;
  readonly history: History;
  readonly plan: Plan;
  /** ms since the epoch: an Open circuit past its cooldown shows HalfOpen. */
  readonly now: number;
  /** Probe observations, when a prober runs. */
  readonly health?: Health;
  /** The latest resource sample of a live instance, when a monitor runs. */
  readonly usage?: (instance: ObservedInstance) => ResourceUsage | undefined;
  /** Open resource alerts, when a monitor judges limits. */
  readonly alerts?: readonly InstanceAlert[];
  /** Lease statistics of a pool, when a controller serves leases. */
  readonly pools?: (key: ObjectKey) => PoolStats | undefined;
  /** The scheduler's statistics, when a controller schedules. */
  readonly scheduling?: SchedulingStats;
}

/**
 * One view per desired object, then per object that only still has instances, sorted by key;
 * with `only`, the views of those keys that are known.
 */
export function buildStatus(input: StatusInput, only?: readonly ObjectKey[]): ObjectView[] {
  const known = (key: ObjectKey): boolean => input.desired.objects.has(key) || input.observed.has(key);
  const keys = only ? [...new Set(only.filter(known))].sort() : knownKeys(input.desired.objects, input.observed);
  const actions = groupByObject(input.plan);
  return keys.map((key) => viewOfKey(input, key, actions.get(key) ?? []));
}

/** Items (actions, alerts) per object they name, in their order. */
export function groupByObject<T extends { readonly object: ObjectKey }>(items: readonly T[]): Map<ObjectKey, T[]> {
  const byObject = new Map<ObjectKey, T[]>();
  for (const item of items) {
    const list = byObject.get(item.object);
    if (list) list.push(item);
    else byObject.set(item.object, [item]);
  }
  return byObject;
}

/** What the status of one object is worked out from, and its phase. */
export interface ObjectBasis {
  readonly object: ManifestObject | undefined;
  readonly process: ProcessObject | undefined;
  readonly instances: readonly ObservedInstance[];
  readonly history: ObjectHistory | undefined;
  readonly actions: Plan;
  readonly health: ObjectHealth;
  readonly job: ReturnType<typeof jobSummary> | undefined;
  readonly summary: { readonly phase: string; readonly reason: string; readonly readyReplicas: number };
}

/** The inputs of `key`'s view and its phase, reason and ready count. */
export function basisOf(input: StatusInput, key: ObjectKey, actions: Plan): ObjectBasis {
  const object = input.desired.objects.get(key);
  const instances = input.observed.get(key) ?? [];
  const history = input.history.get(key);
  const process = object && isProcessObject(object) ? object : undefined;
  const health = input.health?.get(key) ?? NO_HEALTH;
  const job = object && isJobObject(object) ? jobSummary(object, instances, history, actions, input.now) : undefined;
  const summary = job ?? (object && !process
    ? object.kind === 'Node' ? { phase: 'Active', reason: 'Scheduling', readyReplicas: 0 } : { phase: 'Unsupported', reason: `kind ${object.kind} is validated but not run yet`, readyReplicas: 0 }
    : objectPhase(process, instances, history, actions, health));
  return { object, process, instances, history, actions, health, job, summary };
}

/** The fields that name an object, in its view and its summary. */
export function identityOf(input: StatusInput, key: ObjectKey, object: ManifestObject | undefined, history: ObjectHistory | undefined): Pick<ObjectView, 'kind' | 'name' | 'key' | 'labels' | 'generation' | 'revision'> {
  return {
    kind: object?.kind ?? kindOf(key),
    name: key.slice(key.indexOf('/') + 1),
    key,
    labels: object?.labels ?? {},
    generation: history?.generation ?? 0,
    revision: input.desired.revision,
  };
}

/** Phase, reason, replicas and ready count: how `get` sums an object up. */
export function headOf(object: ManifestObject | undefined, summary: ObjectBasis['summary']): { phase: string; reason: string; replicas: number; readyReplicas: number } {
  return { phase: summary.phase, reason: summary.reason, replicas: replicasOf(object), readyReplicas: summary.readyReplicas };
}

/** The circuit breaker's state, when the object has one. */
export function circuitOf(process: ProcessObject | undefined, history: ObjectHistory | undefined, now: number): { circuit?: { state: string; openedAt: string | null } } {
  return process?.spec.circuitBreaker ? { circuit: circuitView(history?.circuit, process.spec.circuitBreaker, now) } : {};
}

/** The view of `key`, given its actions in `input.plan`. */
export function viewOfKey(input: StatusInput, key: ObjectKey, planned: readonly Action[]): ObjectView {
  const { object, process, instances, history, actions, health, job, summary } = basisOf(input, key, planned);
  const views = job
    ? instances.map((i) => withUsage(instanceView(i, jobInstancePhase(i, actions), history?.slots[i.replica], object?.specHash), i, input.usage))
    : instances.map((i) => withLimits(withUsage(i.fallback ? fallbackView(i) : withHealth(instanceView(i, instancePhase(i, process, history, actions, health), history?.slots[i.replica], process?.specHash), i, process, health), i, input.usage), i, process, history));
  const override = history?.override;
  return {
    ...identityOf(input, key, object, history),
    source: object ? `${object.source.file}:${object.source.line}` : null,
    ...(object ? { manifest: manifestViewOf(object) } : {}),
    ...(object ? { spec: process ? (process.pool ? { ...specView(process.spec), pool: process.pool } : specView(process.spec)) : isJobObject(object) ? specView(object.spec) : (object.spec as Readonly<Record<string, unknown>>) } : {}),
    status: {
      ...headOf(object, summary),
      restarts: views.reduce((n, v) => n + v.restarts, 0),
      ...(override ? { override: { type: override.type, at: new Date(override.at).toISOString() } } : {}),
      ...circuitOf(process, history, input.now),
      failures: (history?.failures ?? []).map(failureView),
      recovery: recoveryStats(history?.failures ?? []),
      ...(process?.spec.dependsOn.length ? { dependencies: dependencyStatuses(process, dependencyWorld(input)) } : {}),
      alerts: (input.alerts ?? []).filter((a) => a.object === key).map(alertView),
      ...poolOf(input, key),
      ...(job ? { job: job.job } : {}),
      ...(input.scheduling && (job || object?.kind === 'Node') ? { scheduling: input.scheduling } : {}),
    },
    instances: views,
  };
}

/** The lease statistics of `key` when it is a pool a controller serves. */
export function poolOf(input: StatusInput, key: ObjectKey): { pool?: PoolStats } {
  const pool = input.pools?.(key);
  return pool ? { pool } : {};
}

function dependencyWorld(input: StatusInput): DependencyWorld {
  const { desired, observed, history, health } = input;
  return { objects: desired.objects, observed, history, ...(health ? { health } : {}) };
}

function instanceView(i: ObservedInstance, status: { phase: string; reason: string }, slot: SlotHistory | undefined, specHash: string | undefined): InstanceView {
  const exit = i.exit ?? slot?.lastExit;
  const restarts = slot?.restarts ?? 0;
  return {
    id: i.id,
    pid: i.pid > 0 && i.state !== 'exited' ? i.pid : null,
    phase: status.phase,
    ready: i.state === 'running' && i.hook === undefined && i.specHash === specHash,
    restarts,
    startedAt: i.pid > 0 ? new Date(i.startedAt).toISOString() : null,
    lastExit: exit ? { code: exit.code, signal: exit.signal, reason: exit.reason, at: new Date(exit.at).toISOString() } : null,
    reason: status.reason,
    generation: i.generation,
    specHash: i.specHash,
    ...(i.hook ? { hook: i.hook } : {}),
  };
}

// A fallback instance: Running (reason CircuitFallback) while it runs; no restarts of its own.
function fallbackView(i: ObservedInstance): InstanceView {
  const view = instanceView(i, fallbackPhase(i), undefined, undefined);
  return { ...view, ready: i.state === 'running', fallback: true, replica: i.replica };
}

function withUsage(view: InstanceView, instance: ObservedInstance, usageOf: StatusInput['usage']): InstanceView {
  const usage = instance.state === 'exited' ? undefined : usageOf?.(instance);
  return usage ? { ...view, usage } : view;
}

// Ready as the planner counts it, and the probe results of the instance's current process.
function withHealth(view: InstanceView, instance: ObservedInstance, process: ProcessObject | undefined, health: ObjectHealth): InstanceView {
  const ready = isInstanceReady(process, instance, health);
  const probes = instance.state === 'exited' ? undefined : healthOf(health, instance)?.probes;
  if (probes === undefined || Object.keys(probes).length === 0) return ready === view.ready ? view : { ...view, ready };
  const shown = Object.fromEntries(Object.entries(probes).map(([kind, r]) => [kind, probeView(r)]));
  return { ...view, ready, probes: shown };
}

function probeView(r: ProbeResult): ProbeView {
  return { ok: r.ok, at: new Date(r.at).toISOString(), message: r.message, successes: r.successes, failures: r.failures };
}

// The normalised spec with secret env values replaced (the fallback's too) and the raw copy left out.
// Views of a spec and of a manifest depend on nothing else, and objects are immutable: each is
// built once per object, not once per `tend get` (at 10,000 objects that is most of a status).
const specViews = new WeakMap<ProcessSpec, Readonly<Record<string, unknown>>>();
const manifestViews = new WeakMap<ManifestObject, Readonly<Record<string, unknown>>>();

function specView(spec: ProcessSpec): Readonly<Record<string, unknown>> {
  let view = specViews.get(spec);
  if (!view) specViews.set(spec, (view = buildSpecView(spec)));
  return view;
}

function manifestViewOf(object: ManifestObject): Readonly<Record<string, unknown>> {
  let view = manifestViews.get(object);
  if (!view) manifestViews.set(object, (view = manifestView(object)));
  return view;
}

function buildSpecView(spec: ProcessSpec): Record<string, unknown> {
  const { raw: _raw, env, secretEnv, recovery, ...rest } = spec;
  const fallback = recovery?.fallback;
  if (recovery === undefined || fallback === undefined) return { ...rest, env: redacted(env, secretEnv), ...(recovery ? { recovery } : {}) };
  const { env: fallbackEnv, secretEnv: fallbackSecret, hash: _hash, ...program } = fallback;
  return { ...rest, env: redacted(env, secretEnv), recovery: { ...recovery, fallback: { ...program, env: redacted(fallbackEnv, fallbackSecret) } } };
}

function redacted(env: Readonly<Record<string, string>>, secretEnv: readonly string[]): Record<string, string> {
  const secret = new Set(secretEnv);
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, secret.has(k) ? REDACTED : v]));
}

function circuitView(record: CircuitRecord | undefined, policy: CircuitPolicy, now: number): { state: string; openedAt: string | null } {
  const r = record ?? CLOSED;
  return { state: circuitState(r, policy, now), openedAt: r.state === 'Closed' || r.openedAt === undefined ? null : new Date(r.openedAt).toISOString() };
}

function failureView(f: FailureRecord): FailureView {
  return {
    at: new Date(f.at).toISOString(),
    instance: f.instance,
    type: f.type,
    exitCode: f.exitCode,
    signal: f.signal,
    stderrTail: f.stderrTail ?? null,
    recoveredAt: f.recoveredAt === undefined ? null : new Date(f.recoveredAt).toISOString(),
    message: f.message ?? null,
  };
}

function alertView(a: InstanceAlert): AlertView {
  return { object: a.object, instance: a.instance, resource: a.resource, severity: a.severity, value: a.value, limit: a.limit, since: new Date(a.since).toISOString() };
}

/** Open alerts as the API lists them. */
export function alertViews(alerts: readonly InstanceAlert[]): AlertView[] {
  return alerts.map(alertView);
}

// The limits of a live instance, those of the revision it runs, with their enforcement (the
// monitor's for an adopted one).
function withLimits(view: InstanceView, instance: ObservedInstance, process: ProcessObject | undefined, history: ObjectHistory | undefined): InstanceView {
  const limits = process && specOfInstance(process, history, instance).resources?.limits;
  if (!limits || instance.state === 'exited') return view;
  const shown: Partial<Record<LimitedResource, LimitView>> = {};
  for (const resource of LIMITED_RESOURCES) {
    const limit = limits[resource];
    if (limit !== undefined) shown[resource] = { limit, enforcement: instance.enforcement?.[resource] ?? 'monitor' };
  }
  return { ...view, limits: shown };
}

/** What a secret value is shown as. */
export const REDACTED = '(redacted)';

// The replicas a Process or pool wants, a Job's completions, 0 otherwise.
function replicasOf(object: ManifestObject | undefined): number {
  return object && isProcessObject(object) ? object.spec.replicas : object && isJobObject(object) ? object.spec.completions : 0;
}

function kindOf(key: ObjectKey): ManifestObject['kind'] {
  const prefix = key.slice(0, key.indexOf('/'));
  return prefix === 'pool' ? 'ProcessPool' : prefix === 'job' ? 'Job' : prefix === 'node' ? 'Node' : 'Process';
}

/** True when every object has converged: each Process (and ProcessPool) Running or Succeeded, each Job Succeeded. */
export function isConverged(views: readonly ObjectView[]): boolean {
  return views.every((v) => (v.kind === 'Job' ? v.status.phase === 'Succeeded' : (v.kind !== 'Process' && v.kind !== 'ProcessPool') || v.status.phase === 'Running' || v.status.phase === 'Succeeded' || v.status.phase === 'Stopped'));
}
