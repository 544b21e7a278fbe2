/**
 * One scheduling pass over the whole machine: every Job instance, and every Process instance
 * with `resources.requests`, as the scheduler's units; the decision as a verdict per instance,
 * plus the numbers `get`, `describe` and `/metrics` show.
 *
 * Owns: turning desired and observed state into `SchedulableUnit`s and the decision back into
 * verdicts. Must not: read the clock, do I/O, or keep state (the controller memoises a pass).
 */
import type { History } from '../model/history.ts';
import type { Observed, ObservedInstance } from '../model/instance.ts';
import { isJobObject, type JobObject } from '../model/job.ts';
import { isProcessObject, type ManifestObject, type ObjectKey, type ProcessObject } from '../model/object.ts';
import { requestsOfRaw } from '../manifest/normalize-requests.ts';
import { schedule } from '../scheduler/schedule.ts';
import type { Capacity, Decision, SchedulableUnit, SchedulingPolicy } from '../scheduler/types.ts';
import { unitIdOf, type Admission, type Verdict } from './admission.ts';
import { currentRecord, jobState } from './job-state.ts';
import { restartVerdict } from './restart-policy.ts';

/** What one pass reads. */
export interface SchedulingInput {
  readonly objects: ReadonlyMap<ObjectKey, ManifestObject>;
  readonly observed: Observed;
  readonly history: History;
  readonly policy: SchedulingPolicy;
  readonly now: number;
}

/** Scheduling statistics, as `status.scheduling` and `/metrics` show them. */
export interface SchedulingStats {
  readonly queued: number;
  readonly running: number;
  readonly suspended: number;
  readonly capacity: Capacity;
  /** What running instances reserve, plus the memory suspended ones keep. */
  readonly used: Capacity;
  /** used / capacity per resource, 0..1. */
  readonly utilization: Readonly<Record<string, number>>;
}

/** One pass: the decision, a verdict per instance and the statistics. */
export interface SchedulingView {
  readonly decision: Decision;
  readonly admission: Admission;
  readonly stats: SchedulingStats;
  /** Object key of every unit id, to wake the objects a decision concerns. */
  readonly objectOf: ReadonlyMap<string, ObjectKey>;
}

const NONE: Verdict = { kind: 'none' };
const ADMIT: Verdict = { kind: 'admit' };
const RESUME: Verdict = { kind: 'resume' };
const NO_INSTANCES: readonly ObservedInstance[] = [];

/** Runs the scheduler over every schedulable instance of `input`. */
export function scheduleWorld(input: SchedulingInput): SchedulingView {
  const units: SchedulableUnit[] = [];
  const objectOf = new Map<string, ObjectKey>();
  for (const [key, object] of input.objects) {
    const added = isJobObject(object) ? jobUnits(input, object) : isProcessObject(object) ? processUnits(input, object) : [];
    for (const unit of added) {
      units.push(unit);
      objectOf.set(unit.id, key);
    }
  }
  const decision = schedule({ policy: input.policy, units, now: input.now });
  return { decision, admission: admissionOf(decision), stats: statsOf(input.policy, units, decision), objectOf };
}

function jobUnits(input: SchedulingInput, object: JobObject): SchedulableUnit[] {
  const history = input.history.get(object.key);
  const record = currentRecord(object, history, input.now);
  const state = jobState({ key: object.key, object, instances: input.observed.get(object.key) ?? NO_INSTANCES, history, now: input.now }, record);
  const { spec } = object;
  const base = { requests: spec.requests, priority: spec.priority, arrivedAt: record.arrivedAt, preemptible: spec.preemptible, preemption: spec.preemption, countsTowardMaxJobs: true };
  const units: SchedulableUnit[] = state.live.map((i) => liveUnit(object.key, i, base));
  for (const want of state.wants) units.push({ ...base, id: unitIdOf(object.key, want.id), state: 'pending' });
  return units;
}

// A Process with requests: its live instances hold them; its empty slots that would start ask.
function processUnits(input: SchedulingInput, object: ProcessObject): SchedulableUnit[] {
  const requests = requestsOf(object);
  if (Object.keys(requests).length === 0) return [];
  const { spec } = object;
  const preemptible = (spec.raw as { readonly preemptible?: boolean }).preemptible === true;
  const base = { requests, priority: spec.priority, arrivedAt: 0, preemptible, preemption: 'requeue' as const, countsTowardMaxJobs: false };
  const instances = input.observed.get(object.key) ?? NO_INSTANCES;
  const slots = input.history.get(object.key)?.slots;
  const units: SchedulableUnit[] = [];
  for (let replica = 0; replica < spec.replicas; replica++) {
    const instance = instances.find((i) => i.replica === replica && !i.fallback);
    if (instance && instance.state !== 'exited') units.push(liveUnit(object.key, instance, base));
    else if (!instance || wouldStart(object, instance, slots?.[replica])) {
      units.push({ ...base, id: unitIdOf(object.key, `${object.name}-${replica}`), arrivedAt: instance?.exit?.at ?? 0, state: 'pending' });
    }
  }
  return units;
}

function wouldStart(object: ProcessObject, instance: ObservedInstance, slot: Parameters<typeof restartVerdict>[3]): boolean {
  const exit = instance.exit;
  if (exit === undefined || exit.requested || instance.specHash !== object.specHash) return true;
  return restartVerdict(object.spec, instance, exit, slot).kind === 'restart';
}

/** Whether a Process reserves anything, so the scheduler has a say over its starts. */
export function hasRequests(object: ProcessObject): boolean {
  return Object.keys(requestsOf(object)).length > 0;
}

const requestsCache = new WeakMap<ProcessObject, Capacity>();
function requestsOf(object: ProcessObject): Capacity {
  let requests = requestsCache.get(object);
  if (requests === undefined) {
    requests = requestsOfRaw(object.spec.raw);
    requestsCache.set(object, requests);
  }
  return requests;
}

function liveUnit(key: ObjectKey, i: ObservedInstance, base: Omit<SchedulableUnit, 'id' | 'state'>): SchedulableUnit {
  const suspended = i.suspendedAt !== undefined;
  return {
    ...base,
    id: unitIdOf(key, i.id),
    state: suspended ? 'suspended' : 'running',
    startedAt: i.resumedAt ?? i.startedAt,
    ...(suspended ? { lastRanAt: i.suspendedAt } : {}),
  };
}

function admissionOf(decision: Decision): Admission {
  const verdicts = new Map<string, Verdict>();
  const victimsBy = new Map<string, string[]>();
  for (const p of decision.preempt) {
    verdicts.set(p.id, { kind: 'preempt', mode: p.mode, reason: p.reason, by: p.by });
    victimsBy.set(p.by, [...(victimsBy.get(p.by) ?? []), p.id]);
  }
  const placed = (id: string, verdict: Verdict): void => {
    const victims = victimsBy.get(id);
    verdicts.set(id, victims ? { kind: 'preempting', victims: victims.map((v) => v.slice(v.lastIndexOf('/') + 1)) } : verdict);
  };
  for (const id of decision.admit) placed(id, ADMIT);
  for (const id of decision.resume) placed(id, RESUME);
  decision.waiting.forEach((w, position) => {
    verdicts.set(w.id, { kind: 'wait', reason: w.reason, position, ...(decision.nextWake === undefined ? {} : { until: decision.nextWake }) });
  });
  return (object, instance) => verdicts.get(unitIdOf(object, instance)) ?? NONE;
}

function statsOf(policy: SchedulingPolicy, units: readonly SchedulableUnit[], decision: Decision): SchedulingStats {
  const used: Record<string, number> = {};
  for (const name of Object.keys(policy.capacity)) used[name] = 0;
  let running = 0;
  let suspended = 0;
  let pending = 0;
  for (const unit of units) {
    if (unit.state === 'pending') {
      pending++;
      continue;
    }
    if (unit.state === 'running') running++;
    else suspended++;
    for (const name of Object.keys(used)) {
      if (unit.state === 'suspended' && name !== 'memory') continue;
      used[name] = (used[name] ?? 0) + (unit.requests[name] ?? 0);
    }
  }
  const utilization = Object.fromEntries(Object.entries(used).map(([name, amount]) => [name, ratio(amount, policy.capacity[name] ?? 0)]));
  return { queued: pending - decision.admit.length, running, suspended, capacity: policy.capacity, used, utilization };
}

function ratio(amount: number, total: number): number {
  return total > 0 ? Math.round((amount / total) * 1000) / 1000 : 0;
}
