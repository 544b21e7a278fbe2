/**
 * Cron tables: parsing (values and the errors a manifest diagnostic shows), next and previous
 * ticks in UTC, day-of-month / day-of-week OR, local time across DST, and Kubernetes-style
 * catch-up with the concurrency policies.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CronSchedule } from '../../src/scheduler/cron-parse.ts';
import { parseCron } from '../../src/scheduler/cron-parse.ts';
import { nextTick, previousTick } from '../../src/scheduler/cron.ts';
import type { TicksDecision, TicksInput } from '../../src/scheduler/cron-catch-up.ts';
import { ticksToRun } from '../../src/scheduler/cron-catch-up.ts';

function cron(text: string): CronSchedule {
  const result = parseCron(text);
  if (!result.ok) throw new Error(result.error.message);
  return result.schedule;
}

const on = (set: readonly boolean[]): number[] => set.flatMap((v, i) => (v ? [i] : []));
const utc = (iso: string): number => Date.parse(`${iso}Z`);

void describe('parseCron: values', () => {
  const table: readonly { text: string; field: keyof CronSchedule; values: readonly number[] }[] = [
    { text: '*/15 * * * *', field: 'minutes', values: [0, 15, 30, 45] },
    { text: '5/20 * * * *', field: 'minutes', values: [5, 25, 45] },
    { text: '1-10/3,30 * * * *', field: 'minutes', values: [1, 4, 7, 10, 30] },
    { text: '0 9-17/4 * * *', field: 'hours', values: [9, 13, 17] },
    { text: '0 0 28-31 * *', field: 'daysOfMonth', values: [28, 29, 30, 31] },
    { text: '0 0 1 JAN,jul-Sep *', field: 'months', values: [1, 7, 8, 9] },
    { text: '0 0 * * mon-fri', field: 'daysOfWeek', values: [1, 2, 3, 4, 5] },
    { text: '0 0 * * 5-7', field: 'daysOfWeek', values: [0, 5, 6] },
    { text: '0 0 * * sun', field: 'daysOfWeek', values: [0] },
    { text: '@hourly', field: 'minutes', values: [0] },
    { text: '  0   3 * * *  ', field: 'hours', values: [3] },
  ];
  for (const row of table) {
    void it(`${row.text} -> ${row.field}`, () => assert.deepEqual(on(cron(row.text)[row.field] as boolean[]), row.values));
  }

  void it('day fields are ORed only when both are restricted (Vixie)', () => {
    assert.equal(cron('0 0 13 * fri').daysOr, true);
    assert.equal(cron('0 0 * * fri').daysOr, false);
    assert.equal(cron('0 0 */2 * fri').daysOr, false);
    assert.equal(cron('0 0 13 * *').daysOr, false);
  });
});

void describe('parseCron: errors name the field and the problem', () => {
  const table: readonly { text: string; field: string; includes: string }[] = [
    { text: '0 3 * *', field: 'expression', includes: 'expected 5 fields' },
    { text: '0 3 * * * *', field: 'expression', includes: 'got 6' },
    { text: '@reboot', field: 'expression', includes: 'unknown macro "@reboot"' },
    { text: '60 * * * *', field: 'minute', includes: '60 is out of range 0-59' },
    { text: '0 24 * * *', field: 'hour', includes: 'hour "24": 24 is out of range 0-23' },
    { text: '0 0 0 * *', field: 'day-of-month', includes: '0 is out of range 1-31' },
    { text: '0 0 * 13 *', field: 'month', includes: '13 is out of range 1-12' },
    { text: '0 0 * foo *', field: 'month', includes: '"foo" is not a number or a name (jan,' },
    { text: '0 0 * * 8', field: 'day-of-week', includes: '8 is out of range 0-7' },
    { text: '0 0 * * fri-mon', field: 'day-of-week', includes: 'goes backwards' },
    { text: '*/0 * * * *', field: 'minute', includes: 'step "0"' },
    { text: '1,,2 * * * *', field: 'minute', includes: 'empty list item' },
    { text: '1-2-3 * * * *', field: 'minute', includes: 'not a range' },
    { text: '*/2/3 * * * *', field: 'minute', includes: 'more than one "/"' },
    { text: '-1 * * * *', field: 'minute', includes: '"" is not a number' },
  ];
  for (const row of table) {
    void it(row.text, () => {
      const result = parseCron(row.text);
      assert.ok(!result.ok);
      assert.equal(result.error.field, row.field);
      assert.ok(result.error.message.includes(row.includes), result.error.message);
    });
  }
});

void describe('nextTick and previousTick in UTC', () => {
  const table: readonly { text: string; after: string; next: string | undefined }[] = [
    { text: '0 3 * * *', after: '2026-01-01T05:00:00', next: '2026-01-02T03:00:00' },
    { text: '0 3 * * *', after: '2026-01-01T03:00:00', next: '2026-01-02T03:00:00' },
    { text: '0 3 * * *', after: '2026-01-01T02:59:59.999', next: '2026-01-01T03:00:00' },
    { text: '*/15 * * * *', after: '2026-01-01T10:07:30', next: '2026-01-01T10:15:00' },
    { text: '59 23 31 12 *', after: '2026-06-01T00:00:00', next: '2026-12-31T23:59:00' },
    { text: '0 0 1 * *', after: '2026-01-31T12:00:00', next: '2026-02-01T00:00:00' },
    { text: '0 0 31 * *', after: '2026-01-31T12:00:00', next: '2026-03-31T00:00:00' },
    { text: '0 0 29 2 *', after: '2026-03-01T00:00:00', next: '2028-02-29T00:00:00' },
    { text: '0 0 30 2 *', after: '2026-01-01T00:00:00', next: undefined },
    { text: '0 9 * * mon-fri', after: '2026-01-02T10:00:00', next: '2026-01-05T09:00:00' },
    { text: '0 0 * * 7', after: '2026-01-01T00:00:00', next: '2026-01-04T00:00:00' },
    { text: '0 0 13 * fri', after: '2026-01-01T00:00:00', next: '2026-01-02T00:00:00' },
    { text: '0 0 13 * fri', after: '2026-01-09T00:00:00', next: '2026-01-13T00:00:00' },
    { text: '0 0 13 * *', after: '2026-01-01T00:00:00', next: '2026-01-13T00:00:00' },
    { text: '0 0 */2 * fri', after: '2026-01-01T00:00:00', next: '2026-01-09T00:00:00' },
    { text: '30 12 * jul sun', after: '2026-01-01T00:00:00', next: '2026-07-05T12:30:00' },
  ];
  for (const row of table) {
    void it(`${row.text} after ${row.after}`, () => {
      assert.equal(nextTick(cron(row.text), utc(row.after), 'UTC'), row.next === undefined ? undefined : utc(row.next));
    });
  }

  void it('previousTick is the latest tick at or before the moment', () => {
    const daily = cron('0 3 * * *');
    assert.equal(previousTick(daily, utc('2026-01-02T03:00:00'), 'UTC'), utc('2026-01-02T03:00:00'));
    assert.equal(previousTick(daily, utc('2026-01-02T02:59:00'), 'UTC'), utc('2026-01-01T03:00:00'));
    assert.equal(previousTick(cron('0 0 13 * fri'), utc('2026-01-12T00:00:00'), 'UTC'), utc('2026-01-09T00:00:00'));
    assert.equal(previousTick(cron('0 0 30 2 *'), utc('2026-01-12T00:00:00'), 'UTC'), undefined);
  });
});

void describe('nextTick in local time across DST (TZ=America/New_York)', () => {
  const local = (y: number, mo: number, d: number, h: number, mi: number): number => new Date(y, mo - 1, d, h, mi).getTime();
  void it('skips a time the spring change removes and ticks a repeated time once', (t) => {
    const saved = process.env.TZ;
    process.env.TZ = 'America/New_York';
    t.after(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });
    assert.equal(nextTick(cron('30 2 * * *'), local(2026, 3, 7, 12, 0)), local(2026, 3, 9, 2, 30));
    const first = nextTick(cron('30 1 * * *'), local(2026, 11, 1, 0, 0));
    assert.equal(first, utc('2026-11-01T05:30:00'));
    assert.equal(nextTick(cron('30 1 * * *'), first ?? 0), utc('2026-11-02T06:30:00'));
    assert.equal(nextTick(cron('0 3 * * *'), local(2026, 3, 8, 0, 0)), utc('2026-03-08T07:00:00'));
  });
});

void describe('ticksToRun: catch-up and concurrency (UTC)', () => {
  const hourly = cron('0 * * * *');
  const base: TicksInput = { schedule: hourly, lastScheduledMs: utc('2026-01-01T10:00:00'), nowMs: utc('2026-01-01T10:30:00'), concurrencyPolicy: 'Forbid', activeRuns: [], timeZone: 'UTC' };
  const next = utc('2026-01-01T11:00:00');
  const table: readonly { name: string; input: Partial<TicksInput>; want: TicksDecision }[] = [
    { name: 'between ticks: nothing', input: {}, want: { stop: [], missed: 0, nextTick: next } },
    { name: 'a tick due: run it', input: { nowMs: next }, want: { stop: [], missed: 1, run: next, nextTick: utc('2026-01-01T12:00:00') } },
    {
      name: 'down for five ticks: one run, for the most recent',
      input: { nowMs: utc('2026-01-01T15:20:00') },
      want: { stop: [], missed: 5, run: utc('2026-01-01T15:00:00'), nextTick: utc('2026-01-01T16:00:00') },
    },
    { name: 'Forbid with a run active: held back', input: { nowMs: next, activeRuns: ['r1'] }, want: { stop: [], missed: 1, forbidden: true, nextTick: utc('2026-01-01T12:00:00') } },
    { name: 'Allow with a run active: run beside it', input: { nowMs: next, activeRuns: ['r1'], concurrencyPolicy: 'Allow' }, want: { stop: [], missed: 1, run: next, nextTick: utc('2026-01-01T12:00:00') } },
    { name: 'Replace with runs active: stop them, run', input: { nowMs: next, activeRuns: ['r1', 'r2'], concurrencyPolicy: 'Replace' }, want: { stop: ['r1', 'r2'], missed: 1, run: next, nextTick: utc('2026-01-01T12:00:00') } },
    { name: 'clock behind the last run: nothing', input: { nowMs: utc('2026-01-01T09:00:00') }, want: { stop: [], missed: 0, nextTick: utc('2026-01-01T10:00:00') } },
    {
      name: 'down a whole day on a per-minute schedule: missed counts up to 100',
      input: { schedule: cron('* * * * *'), nowMs: utc('2026-01-02T10:00:30') },
      want: { stop: [], missed: 100, run: utc('2026-01-02T10:00:00'), nextTick: utc('2026-01-02T10:01:00') },
    },
    { name: 'a schedule that never fires: nothing, no wake', input: { schedule: cron('0 0 30 2 *') }, want: { stop: [], missed: 0 } },
  ];
  for (const row of table) void it(row.name, () => assert.deepEqual(ticksToRun({ ...base, ...row.input }), row.want));
});
