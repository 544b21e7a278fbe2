/**
 * When a pass should run again although nothing else changed: a waiting unit ages a step, or a
 * running unit's time slice ends while an equal unit waits.
 *
 * Owns: that one computation over a finished pass.
 * Must not: change the pass.
 */
import type { Pass } from './pass.ts';
import { nextAgingStep } from './priority.ts';
import { mayBeSliced } from './time-slice.ts';

/** The earliest such time after `now`, or undefined if only outside changes can matter. */
export function nextWakeOf(pass: Pass): number | undefined {
  let wake = Infinity;
  for (const w of pass.waiting) {
    const step = nextAgingStep(w.entry.unit, pass.input.policy, pass.input.now);
    if (step !== undefined && step < wake) wake = step;
  }
  const sliceEnd = nextSliceEnd(pass);
  if (sliceEnd < wake) wake = sliceEnd;
  return Number.isFinite(wake) ? wake : undefined;
}

// The first future slice end among running units that have an equal waiting peer.
function nextSliceEnd(pass: Pass): number {
  const { now, policy } = pass.input;
  if (policy.timeSliceMs <= 0 || pass.waiting.length === 0) return Infinity;
  const waitingPriorities = new Set(pass.waiting.map((w) => w.entry.unit.priority));
  let end = Infinity;
  for (const r of pass.running) {
    const at = r.startedAt + policy.timeSliceMs;
    if (at > now && at < end && !pass.evicted.has(r.unit.id) && waitingPriorities.has(r.unit.priority) && mayBeSliced(r, r.unit.priority)) end = at;
  }
  return end;
}
