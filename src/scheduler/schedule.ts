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
import { entryOf, evict, freeableBelow, grant, leaveWaiting, startPass } from './pass.ts';
import { byQueueOrder } from './priority.ts';
import { deficitOf, fits, fitsWith } from './resources.ts';
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
 * does not fit does not block smaller ones behind it. With `preemption` on, a unit that does not
 * fit evicts the fewest running preemptible units of strictly lower effective priority that make
 * it fit (lowest priority first, then most recently started), and nobody if no such set exists.
 * Units placed in this pass are never evicted in it. Then time slicing (see `rotateTurns`).
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
  if (fits(entry.demand, pass.free) || (pass.input.policy.preemption && preemptFor(pass, entry))) {
    grant(pass, entry);
  } else {
    leaveWaiting(pass, entry);
  }
}

// Evicts the minimal victim set for `entry`; false (and nothing evicted) if none makes it fit.
function preemptFor(pass: Pass, entry: Entry): boolean {
  if (!fitsWith(entry.demand, pass.free, freeableBelow(pass, entry.priority))) return false;
  const candidates: Entry[] = [];
  for (const r of pass.running) {
    if (r.priority >= entry.priority) break;
    if (r.unit.preemptible && !pass.evicted.has(r.unit.id)) candidates.push(r);
  }
  if (candidates.length === 0) return false;
  const victims = chooseVictims(deficitOf(entry.demand, pass.free), candidates.map((c) => ({ id: c.unit.id, demand: c.demand })));
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
