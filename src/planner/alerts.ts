/**
 * Resource alerts: a state machine per instance and resource with hysteresis. Pure.
 *
 *     none ──figure >= warnAt × limit──> warning ──figure >= limit──> critical
 *       ^                                   │  ^                          │
 *       └──figure < 0.9 × warnAt × limit────┘  └──figure < 0.9 × limit───┘
 *
 * A level is raised at its threshold and left only once the figure falls below
 * {@link RESOLVE_RATIO} of it, so a figure hovering at a threshold raises one alert, not a flood.
 * For CPU and disk rates a level is raised by the sustained figure (the window's lowest sample)
 * and left only when the window's peak is below, so a noisy rate does not flap either.
 * Must not: read the clock (`now` is an input), do I/O, or record events (the controller does).
 */
import type { LimitedResource, ResourceLimits } from '../model/limits.ts';
import { LIMITED_RESOURCES } from '../model/limits.ts';
import type { JudgedFigures } from './limits.ts';
import { formatFigure } from './limits.ts';

/** A level is left below this fraction of its threshold. */
export const RESOLVE_RATIO = 0.9;

export type AlertSeverity = 'warning' | 'critical';

/** An open alert of one resource of an instance. */
export interface OpenAlert {
  readonly resource: LimitedResource;
  readonly severity: AlertSeverity;
  /** The judged figure when the alert was raised or last changed severity. */
  readonly value: number;
  readonly limit: number;
  /** ms since the epoch, when it was raised. */
  readonly since: number;
}

/** Open alerts of one instance, by resource. */
export type AlertState = Readonly<Partial<Record<LimitedResource, OpenAlert>>>;

/**
 * A change of an alert, for an event: raised or moved to another severity (`MemoryHigh`,
 * `CpuHigh`, `FdsHigh`, `ThreadsHigh`, `DiskWriteHigh`, `DiskReadHigh`, with `severity` warning
 * or critical), or `AlertResolved`.
 */
export interface AlertChange {
  readonly reason: AlertReason;
  readonly severity?: AlertSeverity;
  readonly resource: LimitedResource;
  readonly message: string;
}

/**
 * The level of one figure given the previous level (see the diagram); `peak` (default `value`)
 * is what must fall below a level's resolve point to leave it.
 * @example alertLevel('warning', 75, 100, 0.8) // 'warning': 75 is above 0.9 × 80
 */
export function alertLevel(previous: AlertSeverity | undefined, value: number, limit: number, warnAt: number, peak = value): AlertSeverity | undefined {
  const warn = warnAt * limit;
  if (value >= limit || (previous === 'critical' && peak >= RESOLVE_RATIO * limit)) return 'critical';
  if (value >= warn || (previous !== undefined && peak >= RESOLVE_RATIO * warn)) return 'warning';
  return undefined;
}

/**
 * The alerts after a sample's judged figures (and their peaks, when they differ), and what
 * changed. A resource without a figure in this sample (a window still filling) keeps its alert.
 */
export function nextAlerts(
  limits: ResourceLimits,
  warnAt: number,
  judged: { readonly figures: JudgedFigures; readonly peaks?: JudgedFigures },
  previous: AlertState,
  now: number,
): { readonly alerts: AlertState; readonly changes: readonly AlertChange[] } {
  const alerts: Partial<Record<LimitedResource, OpenAlert>> = {};
  const changes: AlertChange[] = [];
  for (const resource of LIMITED_RESOURCES) {
    const limit = limits[resource];
    const before = previous[resource];
    const value = judged.figures[resource];
    if (limit === undefined) continue;
    if (value === undefined) {
      if (before) alerts[resource] = before;
      continue;
    }
    const severity = alertLevel(before?.severity, value, limit, warnAt, judged.peaks?.[resource]);
    if (severity === before?.severity) {
      if (before) alerts[resource] = before;
      continue;
    }
    const change = alertChange(resource, severity, value, limit, warnAt);
    changes.push(change);
    if (severity) alerts[resource] = { resource, severity, value, limit, since: before?.since ?? now };
  }
  return { alerts, changes };
}

/** The event reason of an alert on `resource`. */
export type AlertReason = `${Capitalize<LimitedResource>}High` | 'AlertResolved';

/** `MemoryHigh`, `CpuHigh`, ...: the reason of an alert raised on `resource`. */
export function raisedReason(resource: LimitedResource): AlertReason {
  return `${resource.charAt(0).toUpperCase()}${resource.slice(1)}High` as AlertReason;
}

function alertChange(resource: LimitedResource, severity: AlertSeverity | undefined, value: number, limit: number, warnAt: number): AlertChange {
  const figure = `${resource} ${formatFigure(resource, value)}`;
  if (severity === undefined) return { reason: 'AlertResolved', resource, message: `${figure} is back below ${formatFigure(resource, RESOLVE_RATIO * warnAt * limit)}` };
  if (severity === 'critical') return { reason: raisedReason(resource), severity, resource, message: `${figure} reached the limit ${formatFigure(resource, limit)}` };
  const threshold = formatFigure(resource, warnAt * limit);
  return { reason: raisedReason(resource), severity, resource, message: `${figure} is above ${Math.round(warnAt * 100)} % of the limit ${formatFigure(resource, limit)} (${threshold})` };
}
