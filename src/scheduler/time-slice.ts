/**
 * Time slicing: units of equal base priority that do not all fit take turns.
 *
 * Owns: choosing whose slice is over and who runs next.
 * Must not: evict for priority (that is preemption, in `schedule.ts`), or slice a unit that is
 * not preemptible or whose preemption is `requeue` (it would lose its work every turn).
 */
import type { Entry, Pass } from './pass.ts';
import { evict } from './pass.ts';
import { grantHolding, heldBy } from './reservation.ts';
import { addInto, fits, fitsWith } from './resources.ts';

/**
 * With `timeSliceMs > 0`, each still-waiting unit in queue order takes the place of the running
 * unit of the same base priority that has run at least a whole slice, longest first, if that
 * frees enough for it; the slice-expired unit is suspended and, as it now waits with the latest
 * `lastRanAt`, comes back after every other equal unit had its turn (round-robin). Base priority,
 * not effective: aging would otherwise keep equal jobs from ever being equal.
 */
export function rotateTurns(pass: Pass): void {
  const slice = pass.input.policy.timeSliceMs;
  if (slice <= 0 || pass.waiting.length === 0) return;
  pass.waiting = pass.waiting.filter((w) => !takeTurn(pass, w.entry, slice));
}

// True when `waiter` was given a place.
function takeTurn(pass: Pass, waiter: Entry, slice: number): boolean {
  if (fitsWith(waiter.demand, pass.free, heldBy(pass, waiter))) {
    grantHolding(pass, waiter);
    return true;
  }
  const peer = longestRunningPeer(pass, waiter, slice);
  if (peer === undefined) return false;
  evict(pass, peer, waiter, 'TimeSliceExpired');
  grantHolding(pass, waiter);
  return true;
}

function longestRunningPeer(pass: Pass, waiter: Entry, slice: number): Entry | undefined {
  let best: Entry | undefined;
  for (const r of pass.running) {
    if (!isSliceable(pass, r, waiter, slice)) continue;
    if (best === undefined || r.startedAt < best.startedAt) best = r;
  }
  return best;
}

/** Whether running `r` is a peer of `waiter` whose slice is over and whose place would fit it. */
function isSliceable(pass: Pass, r: Entry, waiter: Entry, slice: number): boolean {
  if (!mayBeSliced(r, waiter.unit.priority)) return false;
  if (pass.evicted.has(r.unit.id) || pass.input.now - r.startedAt < slice) return false;
  const freed = [...pass.free];
  addInto(freed, r.released, 1);
  addInto(freed, heldBy(pass, waiter), 1);
  return fits(waiter.demand, freed);
}

/** Whether running `r` could later be sliced for a waiter of base priority `priority`. */
export function mayBeSliced(r: Entry, priority: number): boolean {
  return r.unit.priority === priority && r.unit.preemptible && r.unit.preemption === 'suspend';
}
