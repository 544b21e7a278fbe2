/**
 * Limits judgement: whether the latest sample of an instance exceeds one of its limits. Pure:
 * samples and the previous window come in, the next window and the breach go out.
 *
 * Memory, fds and threads are judged on each sample. CPU and disk rates are judged over a
 * sustained window: the figure is the lowest of the last {@link SUSTAINED_SAMPLES} samples, so a
 * limit is exceeded only when every one of them is above it, never on one spike; the peak, the
 * highest of them, must fall below a threshold before an alert resolves (alerts.ts).
 * Must not: read the clock, do I/O, or choose actions (exhaustion.ts turns a breach into a stop).
 */
import type { LimitedResource, ResourceLimits } from '../model/limits.ts';
import { LIMITED_RESOURCES } from '../model/limits.ts';
import type { ResourceUsage } from '../model/usage.ts';

/** Consecutive samples a CPU or disk-rate figure must stay above its limit. */
export const SUSTAINED_SAMPLES = 3;

/** The figures judged over a window rather than on one sample. */
export const WINDOWED: ReadonlySet<LimitedResource> = new Set(['cpu', 'diskWrite', 'diskRead']);

/** The last samples of each windowed figure, oldest first (at most {@link SUSTAINED_SAMPLES}). */
export type LimitWindow = Readonly<Partial<Record<LimitedResource, readonly number[]>>>;

/** Figures as judged: one per limited resource that has enough samples. */
export type JudgedFigures = Readonly<Partial<Record<LimitedResource, number>>>;

/** A sample's judgement: the sustained figures, their peaks, and the window for the next sample. */
export interface JudgedSample {
  readonly figures: JudgedFigures;
  /** Per figure, the highest sample of its window (the figure itself for per-sample resources). */
  readonly peaks: JudgedFigures;
  readonly window: LimitWindow;
}

/** A limit exceeded, with the figure that exceeded it. */
export interface Breach {
  readonly resource: LimitedResource;
  readonly value: number;
  readonly limit: number;
  /** `memory 312 MiB > limit 256 MiB`. */
  readonly message: string;
}

/** The raw figure of a resource in a sample, in the limit's unit (CPU in cores). */
export function figureOf(resource: LimitedResource, usage: ResourceUsage): number | undefined {
  switch (resource) {
    case 'memory':
      return usage.memory;
    case 'cpu':
      return usage.cpu / 100;
    case 'fds':
      return usage.fds;
    case 'threads':
      return usage.threads;
    case 'diskWrite':
      return usage.diskWriteBps;
    case 'diskRead':
      return usage.diskReadBps;
  }
}

/**
 * The judged figures of a sample for the limited resources, and the window for the next one.
 * A windowed figure is the lowest of the last {@link SUSTAINED_SAMPLES} samples, and absent
 * until that many samples were taken.
 * @example judgeSample({ cpu: 1 }, { cpu: 150, ... }, {}).figures.cpu // undefined: one sample only
 */
export function judgeSample(limits: ResourceLimits, usage: ResourceUsage, window: LimitWindow): JudgedSample {
  const figures: Partial<Record<LimitedResource, number>> = {};
  const peaks: Partial<Record<LimitedResource, number>> = {};
  const next: Partial<Record<LimitedResource, readonly number[]>> = {};
  for (const resource of LIMITED_RESOURCES) {
    if (limits[resource] === undefined) continue;
    const value = figureOf(resource, usage);
    if (value === undefined) continue;
    if (!WINDOWED.has(resource)) {
      figures[resource] = value;
      peaks[resource] = value;
      continue;
    }
    const recent = [...(window[resource] ?? []), value].slice(-SUSTAINED_SAMPLES);
    next[resource] = recent;
    if (recent.length < SUSTAINED_SAMPLES) continue;
    figures[resource] = Math.min(...recent);
    peaks[resource] = Math.max(...recent);
  }
  return { figures, peaks, window: next };
}

/** The first limit (in {@link LIMITED_RESOURCES} order) a judged figure is above, if any. */
export function firstBreach(limits: ResourceLimits, figures: JudgedFigures): Breach | undefined {
  for (const resource of LIMITED_RESOURCES) {
    const limit = limits[resource];
    const value = figures[resource];
    if (limit === undefined || value === undefined || value <= limit) continue;
    const sustained = WINDOWED.has(resource) ? ` for ${SUSTAINED_SAMPLES} samples` : '';
    return { resource, value, limit, message: `${resource} ${formatFigure(resource, value)} > limit ${formatFigure(resource, limit)}${sustained}` };
  }
  return undefined;
}

/**
 * A figure for messages: `312 MiB`, `1.5 cores`, `120`, `50 MiB/s`.
 * @example formatFigure('memory', 64 * 1024 * 1024) // '64 MiB'
 */
export function formatFigure(resource: LimitedResource, value: number): string {
  switch (resource) {
    case 'memory':
      return formatBytes(value);
    case 'cpu':
      return `${round(value)} cores`;
    case 'diskWrite':
    case 'diskRead':
      return `${formatBytes(value)}/s`;
    default:
      return String(value);
  }
}

function formatBytes(value: number): string {
  if (value >= 1024 ** 3) return `${round(value / 1024 ** 3)} GiB`;
  if (value >= 1024 ** 2) return `${round(value / 1024 ** 2)} MiB`;
  if (value >= 1024) return `${round(value / 1024)} KiB`;
  return `${value} B`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
