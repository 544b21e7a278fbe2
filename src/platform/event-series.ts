/**
 * Aggregation of repeated events, as Kubernetes' event correlator does: an event with the same
 * object, instance, type, severity, reason and message as one inside the window is folded into
 * it (`count`, `lastTime`), and once more than {@link MAX_SIMILAR} events of the same object,
 * instance, type, severity and reason but other messages came inside the window, the rest are
 * folded into one "(combined from similar events)" event. A flapping program so costs a few
 * lines, not one per exit. Pure: the caller passes the time.
 */
import type { TendEvent } from '../model/event.ts';

/** Events further apart than this start a new series. */
export const SERIES_WINDOW_MS = 10 * 60_000;
/** Distinct messages of one object, instance and reason shown one by one inside the window. */
export const MAX_SIMILAR = 10;
/** A folded series is written again at least this often while it grows (and at each power of two). */
export const REWRITE_EVERY_MS = 60_000;
/** Series kept at most; the oldest are forgotten first. */
const MAX_SERIES = 10_000;

/** An event as stored: a series carries how often it happened and when last. */
export type StoredEvent = TendEvent & { readonly count?: number; readonly lastTime?: string };

/** What to do with an incoming event. */
export type Correlation =
  /** A new event: store and write it. */
  | { readonly kind: 'new'; readonly event: StoredEvent }
  /** `replaces` grew into `event`; `write` says whether the file should get the new count now. */
  | { readonly kind: 'folded'; readonly event: StoredEvent; readonly replaces: StoredEvent; readonly write: boolean };

interface Series {
  event: StoredEvent;
  count: number;
  lastAt: number;
  writtenAt: number;
}

interface Similar {
  distinct: number;
  lastAt: number;
  combined?: Series;
}

/** Correlates events one at a time. */
export interface EventCorrelator {
  correlate(event: TendEvent, at: number): Correlation;
}

/** A correlator with empty memory. */
export function createEventCorrelator(): EventCorrelator {
  const exact = new Map<string, Series>();
  const similar = new Map<string, Similar>();
  const live = (s: { lastAt: number } | undefined, at: number): boolean => s !== undefined && at - s.lastAt <= SERIES_WINDOW_MS;
  return {
    correlate(event, at) {
      const groupKey = [event.object, event.instance ?? '', event.type, event.severity ?? '', event.reason].join('\u0000');
      const key = `${groupKey}\u0000${event.message}`;
      const series = exact.get(key);
      if (live(series, at) && series) return fold(series, event, at);
      const group = live(similar.get(groupKey), at) ? similar.get(groupKey) : undefined;
      const current = group ?? { distinct: 0, lastAt: at };
      current.distinct++;
      current.lastAt = at;
      remember(similar, groupKey, current);
      if (current.distinct > MAX_SIMILAR) {
        const combined = { ...event, message: `(combined from similar events): ${event.message}` };
        if (live(current.combined, at) && current.combined) return fold(current.combined, combined, at);
        current.combined = { event: combined, count: 1, lastAt: at, writtenAt: at };
        return { kind: 'new', event: combined };
      }
      remember(exact, key, { event, count: 1, lastAt: at, writtenAt: at });
      return { kind: 'new', event };
    },
  };
}

function fold(series: Series, latest: TendEvent, at: number): Correlation {
  const replaces = series.event;
  series.count++;
  series.lastAt = at;
  series.event = { ...replaces, message: latest.message, count: series.count, lastTime: latest.time };
  const write = isPowerOfTwo(series.count) || at - series.writtenAt >= REWRITE_EVERY_MS;
  if (write) series.writtenAt = at;
  return { kind: 'folded', event: series.event, replaces, write };
}

function isPowerOfTwo(n: number): boolean {
  return (n & (n - 1)) === 0;
}

// Maps keep insertion order: re-inserting moves a key to the end, so the first is the oldest.
function remember<T>(map: Map<string, T>, key: string, value: T): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_SERIES) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}
