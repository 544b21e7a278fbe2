/**
 * What one sample of an instance means under its resource policy: the sustained windows, the
 * alerts and, with `onExceed` restart or kill, the breach that stops it. Pure; the controller
 * keeps the {@link InstanceWatch} between samples and records the changes as events.
 */
import type { Enforcement, LimitedResource, ResourceLimits, ResourcePolicy } from '../model/limits.ts';
import type { ResourceUsage } from '../model/usage.ts';
import { nextAlerts, type AlertChange, type AlertState } from './alerts.ts';
import { firstBreach, judgeSample, type Breach, type LimitWindow } from './limits.ts';

/** What is remembered of one running process between samples. */
export interface InstanceWatch {
  /** The process it belongs to; a new process in the slot starts a fresh watch. */
  readonly pid: number;
  readonly window: LimitWindow;
  readonly alerts: AlertState;
  /** The limit whose breach stops the process (onExceed restart or kill); kept until it is gone. */
  readonly breach?: Breach;
}

/** The watch after a sample, the alert changes, and a breach that is new with this sample. */
export interface WatchVerdict {
  readonly watch: InstanceWatch;
  readonly changes: readonly AlertChange[];
  readonly newBreach?: Breach;
}

const NO_ALERTS: AlertState = {};

// The limits tend's monitor acts on: those no kernel mechanism holds.
function monitored(limits: ResourceLimits, enforcement: Partial<Record<LimitedResource, Enforcement>>): ResourceLimits {
  const out: Partial<Record<LimitedResource, number>> = {};
  for (const [resource, limit] of Object.entries(limits) as [LimitedResource, number][]) {
    const held = enforcement[resource];
    if (held === undefined || held === 'monitor') out[resource] = limit;
  }
  return out;
}

/**
 * Judges one sample of process `pid`; `previous` is ignored when it belongs to another process.
 * A limit the kernel holds (`enforcement` cgroup or rlimit) raises alerts but no breach: the
 * kernel acts on it, and the sampled figure (RSS) is not what the kernel counts.
 * @example watchSample(policy, 4242, usage, undefined, now).newBreach?.message // 'memory 312 MiB > limit 256 MiB'
 */
export function watchSample(
  policy: ResourcePolicy,
  pid: number,
  usage: ResourceUsage,
  previous: InstanceWatch | undefined,
  now: number,
  enforcement: Partial<Record<LimitedResource, Enforcement>> = {},
): WatchVerdict {
  const same = previous?.pid === pid ? previous : undefined;
  const judged = judgeSample(policy.limits, usage, same?.window ?? {});
  const { alerts, changes } = nextAlerts(policy.limits, policy.warnAt, judged, same?.alerts ?? NO_ALERTS, now);
  const base = { pid, window: judged.window, alerts };
  if (same?.breach) return { watch: { ...base, breach: same.breach }, changes };
  const breach = policy.onExceed === 'alert' ? undefined : firstBreach(monitored(policy.limits, enforcement), judged.figures);
  return breach ? { watch: { ...base, breach }, changes, newBreach: breach } : { watch: base, changes };
}
