/**
 * Cron search properties in UTC, against a minute-by-minute walk.
 *
 * Invariants (fast-check; the seed is logged, set FC_SEED to replay):
 * 1. `nextTick` returns the first minute after the moment that the schedule matches;
 * 2. `previousTick` of that tick is the tick itself, and no tick lies between the moment and it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CronSchedule } from '../../src/scheduler/cron-parse.ts';
import { parseCron } from '../../src/scheduler/cron-parse.ts';
import { nextTick, previousTick } from '../../src/scheduler/cron.ts';

const MINUTE = 60_000;

const exprArb = fc
  .tuple(
    fc.constantFrom('*', '*/7', '5', '0-10/3', '59'),
    fc.constantFrom('*', '3', '*/5', '22-23', '0'),
    fc.constantFrom('*', '*/2', '1-15', '31'),
    fc.constantFrom('*', '*', 'jan-jun', '2,3'),
    fc.constantFrom('*', 'fri', 'mon-wed', '0'),
  )
  .map((fields) => fields.join(' '));

function matches(s: CronSchedule, ms: number): boolean {
  const t = new Date(ms);
  if (s.hours[t.getUTCHours()] !== true || s.minutes[t.getUTCMinutes()] !== true || s.months[t.getUTCMonth() + 1] !== true) return false;
  const dom = s.daysOfMonth[t.getUTCDate()] === true;
  const dow = s.daysOfWeek[t.getUTCDay()] === true;
  return s.daysOr ? dom || dow : dom && dow;
}

// The first matching minute after `after`, walking minute by minute up to `limit`.
function walk(s: CronSchedule, after: number, limit: number): number | undefined {
  for (let t = Math.floor(after / MINUTE) * MINUTE + MINUTE; t <= limit; t += MINUTE) if (matches(s, t)) return t;
  return undefined;
}

void describe('cron search properties (UTC)', () => {
  void it('nextTick is the first matching minute; previousTick agrees (1-2)', (t) => {
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    t.diagnostic(`fast-check seed ${seed}`);
    const afterArb = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2027, 0, 1) });
    fc.assert(
      fc.property(exprArb, afterArb, (text, after) => {
        const parsed = parseCron(text);
        assert.ok(parsed.ok);
        const next = nextTick(parsed.schedule, after, 'UTC');
        assert.ok(next !== undefined);
        assert.equal(next, walk(parsed.schedule, after, next));
        assert.equal(previousTick(parsed.schedule, next, 'UTC'), next);
        const before = previousTick(parsed.schedule, next - 1, 'UTC');
        assert.ok(before === undefined || before <= after);
      }),
      { seed, numRuns: 100 },
    );
  });
});
