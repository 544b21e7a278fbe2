/**
 * When a cron schedule fires: the next tick after a moment, the latest one at or before it.
 *
 * Owns: walking the calendar in the machine's local time (as cron does) or in UTC.
 * Must not: read the clock; the moment is a parameter. Local time uses the `Date` getters and
 * constructor, so the result depends on the process's time zone (`TZ`) but on nothing else.
 *
 * Daylight saving time, local time only: a time that does not exist (the skipped hour in spring)
 * is no tick; a time that happens twice (the repeated hour in autumn) ticks once, at its first
 * occurrence. (Vixie cron instead shifts such runs by the clock change; Kubernetes, which
 * evaluates in one zone, does as here.)
 */
import type { CronSchedule } from './cron-parse.ts';

/** Which clock a schedule is read in: the machine's local time (the default, like cron) or UTC. */
export type CronTimeZone = 'local' | 'UTC';

// Longer than any gap between matching days (Feb 29 on a given weekday: 28 years, but days OR
// makes that any Feb 29 or that weekday; Feb 29 alone: 8 years across a skipped leap year).
const SEARCH_DAYS = 366 * 9;
// More than any clock change (DST moves clocks by 2 hours at most, historically).
const DST_SLACK_HOURS = 3;

interface Civil {
  readonly y: number;
  readonly mo: number;
  readonly d: number;
  readonly h: number;
  readonly mi: number;
}

/**
 * The first tick strictly after `afterMs`, or undefined if none comes within nine years (only
 * for days that never happen, such as `0 0 30 2 *`).
 *
 * @example
 * nextTick(parsed('0 3 * * *'), Date.UTC(2026, 0, 1, 5), 'UTC'); // Date.UTC(2026, 0, 2, 3)
 */
export function nextTick(schedule: CronSchedule, afterMs: number, timeZone: CronTimeZone = 'local'): number | undefined {
  const start = civilOf(afterMs, timeZone);
  for (let day = 0; day < SEARCH_DAYS; day++) {
    const from = day === 0 ? Math.max(0, start.h - DST_SLACK_HOURS) : 0;
    const at = scanDay(schedule, addDays(start, day), timeZone, (ms) => ms > afterMs, { dir: 1, from });
    if (at !== undefined) return at;
  }
  return undefined;
}

/** The latest tick at or before `atMs`, or undefined if none within nine years before it. */
export function previousTick(schedule: CronSchedule, atMs: number, timeZone: CronTimeZone = 'local'): number | undefined {
  const end = civilOf(atMs, timeZone);
  for (let day = 0; day < SEARCH_DAYS; day++) {
    const from = day === 0 ? Math.min(23, end.h + DST_SLACK_HOURS) : 23;
    const at = scanDay(schedule, addDays(end, -day), timeZone, (ms) => ms <= atMs, { dir: -1, from });
    if (at !== undefined) return at;
  }
  return undefined;
}

// Wall-clock order is instant order within a day (a repeated hour maps to its first
// occurrence), so scanning the day and testing the instant is exact across DST. Forward
// (`dir` 1) from hour `from` it returns the first match, backward (-1) the last. The caller
// starts DST_SLACK_HOURS away from the moment's own hour, so what it skips cannot match.
function scanDay(schedule: CronSchedule, date: Civil, timeZone: CronTimeZone, ok: (ms: number) => boolean, scan: { dir: 1 | -1; from: number }): number | undefined {
  if (!dayMatches(schedule, date)) return undefined;
  for (let h = scan.from; h >= 0 && h < 24; h += scan.dir) {
    if (schedule.hours[h] !== true) continue;
    // The hour's far end already fails, so every minute of it does.
    const farEnd = instantOf({ ...date, h, mi: scan.dir === 1 ? 59 : 0 }, timeZone);
    if (farEnd !== undefined && !ok(farEnd)) continue;
    for (let j = 0; j < 60; j++) {
      const mi = scan.dir === 1 ? j : 59 - j;
      const at = schedule.minutes[mi] === true ? instantOf({ ...date, h, mi }, timeZone) : undefined;
      if (at !== undefined && ok(at)) return at;
    }
  }
  return undefined;
}

function dayMatches(schedule: CronSchedule, date: Civil): boolean {
  if (schedule.months[date.mo + 1] !== true) return false;
  const dom = schedule.daysOfMonth[date.d] === true;
  const dow = schedule.daysOfWeek[new Date(Date.UTC(date.y, date.mo, date.d)).getUTCDay()] === true;
  return schedule.daysOr ? dom || dow : dom && dow;
}

// Calendar arithmetic in UTC, where every day has 24 hours; only the date part is used.
function addDays(c: Civil, days: number): Civil {
  const date = new Date(Date.UTC(c.y, c.mo, c.d + days));
  return { y: date.getUTCFullYear(), mo: date.getUTCMonth(), d: date.getUTCDate(), h: 0, mi: 0 };
}

function civilOf(ms: number, timeZone: CronTimeZone): Civil {
  const t = new Date(ms);
  return timeZone === 'UTC'
    ? { y: t.getUTCFullYear(), mo: t.getUTCMonth(), d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes() }
    : { y: t.getFullYear(), mo: t.getMonth(), d: t.getDate(), h: t.getHours(), mi: t.getMinutes() };
}

// The instant of a wall-clock time, or undefined if that time does not exist (a DST gap).
function instantOf(c: Civil, timeZone: CronTimeZone): number | undefined {
  const ms = timeZone === 'UTC' ? Date.UTC(c.y, c.mo, c.d, c.h, c.mi) : new Date(c.y, c.mo, c.d, c.h, c.mi).getTime();
  const back = civilOf(ms, timeZone);
  return back.d === c.d && back.h === c.h && back.mi === c.mi ? ms : undefined;
}
