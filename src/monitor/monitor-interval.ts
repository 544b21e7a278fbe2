/**
 * The sampling interval the manifests ask for: `spec.monitor.interval` of the `kind: Node` object
 * (1 s when there is none or it leaves the interval out; `0s` turns sampling off). Pure.
 */
import type { DesiredState } from '../model/object.ts';
import { parseDuration } from '../manifest/normalize.ts';

/** The default sampling interval, in ms. */
export const DEFAULT_MONITOR_INTERVAL_MS = 1000;

/**
 * The sampling interval in ms; 0 means off.
 * @example monitorIntervalOf(desiredWithNode('monitor: {interval: 0s}')) // 0
 */
export function monitorIntervalOf(desired: DesiredState): number {
  for (const object of desired.objects.values()) if (object.kind === 'Node') return nodeMonitorIntervalOf(object.spec);
  return DEFAULT_MONITOR_INTERVAL_MS;
}

/** The sampling interval a Node spec (validated, as written) asks for, in ms; 0 means off. */
export function nodeMonitorIntervalOf(spec: unknown): number {
  const interval = (spec as { monitor?: { interval?: string | number } } | undefined)?.monitor?.interval;
  return (interval === undefined ? undefined : parseDuration(interval)) ?? DEFAULT_MONITOR_INTERVAL_MS;
}
