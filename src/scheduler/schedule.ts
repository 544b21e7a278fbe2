/**
 * The scheduling pass: which pending or suspended units run now, which running ones give their
 * place back, and why the rest wait. This folder is the scheduling core of Jobs and the Node.
 *
 * Owns: admission against capacity and `maxConcurrentJobs`, priority order with aging,
 * preemption, and (through `time-slice.ts`) turns between equal units.
 * Must not: read the clock, do I/O, keep state between passes or use randomness; `now` and every
 * unit's state come in, a `Decision` goes out, and the caller carries it out.
 */
import type { Entry, Pass } from './pass.ts';
import { entryOf, evict, freeableBelow, freedBy, grant, leaveWaiting, startPass } from './pass.ts';
import { reserve, retryHolder } from './reservation.ts';
import { byQueueOrder } from './priority.ts';
import { covers, deficitOf, fits, fitsWith } from './resources.ts';
import { nextWakeOf } from './next-wake.ts';
import { rotateTurns } from './time-slice.ts';
import type { Decision, ScheduleInput } from './types.ts';
import { chooseVictims } from './victims.ts';

/**
 * One scheduling pass over every unit.
 *
 * Pending and suspended units form one queue: highest effective priority first (base priority
 * plus `aging.boost` per whole `aging.everyMs` since arrival), then earliest arrival, then id.
 * Each in turn is placed if its requests fit what is free on every resource named in both its
 * requests and the capacity, and, if it counts toward it, under `maxConcurrentJobs`; a unit that
 * does not fit does not block the units behind it, except that the first one that could fit on
 * an empty machine holds what is free of each resource it lacks: later units can use other
 * resources but not take those from it, so it starts as soon as enough is freed (one reservation,
 * as in EASY backfill but without run-time estimates), and takes first what a later eviction
 * leaves over. With aging, every unit becomes that first one in time, so a big unit is not
 * starved by a stream of smaller ones.
 *
 * With `preemption` on, a unit that does not fit evicts the fewest running preemptible units
 * ranked strictly below its base priority that make it fit (lowest first, then most recently
 * started), and nobody if no such set exists. A running unit is ranked at the effective priority
 * it was started with, and a waiting one attacks with its base priority: aging decides who goes
 * next, never whom to evict. So a unit that aged its way in is not evicted by the work it
 * overtook, two equal units never evict each other as they age, and no two units can ever evict
 * each other in turn (that needs a.base > b.started >= b.base > a.started >= a.base).
 * Units placed in this pass are never evicted in it. Then time slicing (see `rotateTurns`).
 *
 * Memory: a suspended unit keeps its memory (a stopped process's pages stay resident), so it
 * still counts against `memory` and needs only its other requests to resume; suspending a victim
 * frees all but its memory, requeueing it frees everything.
 *
 * @example
 * schedule({ now: 0, policy: { capacity: { cpu: 2 }, preemption: false, timeSliceMs: 0 },
 *   units: [{ id: 'a', requests: { cpu: 2 }, priority: 20, arrivedAt: 0, preemptible: true,
 *     preemption: 'suspend', countsTowardMaxJobs: true, state: 'pending' }] });
 * // { admit: ['a'], resume: [], preempt: [], waiting: [] }
 */
export function schedule(input: ScheduleInput): Decision {
  const pass = startPass(input);
  for (const entry of queueOf(pass)) place(pass, entry);
  rotateTurns(pass);
  return decisionOf(pass);
}

function queueOf(pass: Pass): Entry[] {
  const { input, dims } = pass;
  const queue = input.units.filter((u) => u.state !== 'running').map((u) => entryOf(input, dims, u));
  return queue.sort(byQueueOrder);
}

function place(pass: Pass, entry: Entry): void {
  if (fits(entry.demand, pass.free)) {
    grant(pass, entry);
  } else if (pass.input.policy.preemption && preemptFor(pass, entry)) {
    grant(pass, entry);
    retryHolder(pass);
  } else {
    leaveWaiting(pass, entry);
    if (!pass.reserved && fits(entry.demand, pass.dims.total)) reserve(pass, entry);
  }
}

// Evicts the minimal victim set for `entry`; false (and nothing evicted) if none makes it fit.
function preemptFor(pass: Pass, entry: Entry): boolean {
  const base = entry.unit.priority; // see `schedule`: aging never evicts
  if (!fitsWith(entry.demand, pass.free, freeableBelow(pass, base))) return false;
  const deficit = deficitOf(entry.demand, pass.free);
  const candidates: Entry[] = [];
  for (const r of pass.running) {
    if (r.priority >= base) break;
    if (!r.unit.preemptible || pass.evicted.has(r.unit.id)) continue;
    // The first candidate that is enough alone is what the minimal search would pick.
    if (covers(freedBy(r, r.unit.preemption), deficit)) {
      evict(pass, r, entry, 'Preempted');
      return true;
    }
    candidates.push(r);
  }
  if (candidates.length === 0) return false;
  const victims = chooseVictims(deficit, candidates.map((c) => ({ id: c.unit.id, demand: freedBy(c, c.unit.preemption) })));
  if (victims === undefined) return false;
  const chosen = new Set(victims.map((v) => v.id));
  for (const c of candidates) if (chosen.has(c.unit.id)) evict(pass, c, entry, 'Preempted');
  return true;
}

function decisionOf(pass: Pass): Decision {
  const admit = pass.granted.filter((e) => e.unit.state === 'pending').map((e) => e.unit.id);
  const resume = pass.granted.filter((e) => e.unit.state === 'suspended').map((e) => e.unit.id);
  const waiting = pass.waiting.map((w) => w.why);
  const nextWake = nextWakeOf(pass);
  const decision = { admit, resume, preempt: pass.preempt, waiting };
  return nextWake === undefined ? decision : { ...decision, nextWake };
}
