/**
 * Scheduled Jobs (`schedule`): which run is current. Each cron tick starts a new run; while a run
 * is active, `Forbid` holds the tick back until it ends and `Replace` ends it for the new one.
 * After downtime only the latest missed tick runs (one catch-up, as Kubernetes CronJobs do).
 *
 * Owns: moving a scheduled Job's run record from tick to tick.
 * Must not: read the clock (`now` comes in), do I/O, or look at capacity.
 */
import type { ObjectHistory } from '../model/history.ts';
import type { ObservedInstance } from '../model/instance.ts';
import type { JobObject, JobRecord } from '../model/job.ts';
import { parseCron, type CronSchedule } from '../scheduler/cron-parse.ts';
import { nextTick } from '../scheduler/cron.ts';
import { ticksToRun } from '../scheduler/cron-catch-up.ts';

/** The current run of a scheduled Job and when to look again. */
export interface CronRun {
  readonly record: JobRecord;
  /** The next tick after now. */
  readonly nextTick?: number;
}

const parsed = new Map<string, CronSchedule | undefined>();

// The parsed schedule of `text`, or undefined when it does not parse (normalisation reports it).
function cronScheduleOf(text: string): CronSchedule | undefined {
  if (!parsed.has(text)) {
    const result = parseCron(text);
    parsed.set(text, result.ok ? result.schedule : undefined);
  }
  return parsed.get(text);
}

/**
 * The run record of scheduled Job `object` at `now`. Before its first tick the record waits
 * (`waitingForTick`, `tick` = when the Job was first seen); at a due tick a new run begins
 * (arriving now) unless `Forbid` holds it behind an unfinished run. `Allow` does not overlap
 * runs: instances are named per completion index, so it waits like `Forbid`.
 */
export function cronRun(object: JobObject, history: ObjectHistory | undefined, instances: readonly ObservedInstance[], now: number): CronRun {
  const schedule = cronScheduleOf(object.spec.schedule ?? '');
  const recorded = history?.job?.specHash === object.specHash ? history.job : undefined;
  const record: JobRecord = recorded ?? { specHash: object.specHash, arrivedAt: now, retries: 0, requeues: 0, tick: now, waitingForTick: true };
  if (schedule === undefined) return { record };
  const active = record.waitingForTick || record.finished ? [] : instances.filter((i) => i.state !== 'exited').map((i) => i.id);
  const running = !record.waitingForTick && !record.finished;
  const policy = object.spec.concurrencyPolicy === 'Replace' ? 'Replace' : 'Forbid';
  const decision = ticksToRun({ schedule, lastScheduledMs: record.tick ?? record.arrivedAt, nowMs: now, concurrencyPolicy: policy, activeRuns: running ? (active.length > 0 ? active : ['run']) : [] });
  const next = decision.nextTick ?? nextTick(schedule, now);
  const wake = next === undefined ? {} : { nextTick: next };
  if (decision.run === undefined) return { record, ...wake };
  return { record: { specHash: object.specHash, arrivedAt: now, retries: 0, requeues: 0, tick: decision.run }, ...wake };
}
