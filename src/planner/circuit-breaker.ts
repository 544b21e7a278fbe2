/**
 * The circuit breaker of a Process, as a pure state machine: it stops restarting a program that
 * keeps failing, and lets one trial through after a cooldown. Time is a parameter; the record is
 * plain data the controller keeps in its history (so the state survives a controller restart).
 *
 * Transitions (`policy`: maxFailures, windowMs, cooldownMs):
 *
 * | state    | event                                  | next                                    |
 * |----------|----------------------------------------|-----------------------------------------|
 * | Closed   | failure at t, < maxFailures in window  | Closed, t counted                       |
 * | Closed   | failure at t, the maxFailures-th       | Open (openedAt t)                       |
 * | Open     | time reaches openedAt + cooldown       | HalfOpen (derived from the time)        |
 * | HalfOpen | trial started at t                     | HalfOpen (trialAt t): no further starts |
 * | HalfOpen | trial failed at t                      | Open (openedAt t)                       |
 * | HalfOpen | trial Ready, or ran resetAfter         | Closed, no failures counted             |
 * | any      | operator restart (`tend restart`)      | Closed, no failures counted             |
 *
 * Must not: read the clock, decide actions (the planner asks `mayStart`).
 */
import type { CircuitPolicy, CircuitRecord, CircuitState } from '../model/failure.ts';

/** A breaker that never tripped. */
export const CLOSED: CircuitRecord = Object.freeze({ state: 'Closed', failures: Object.freeze([]) });

/** The state at `now`: an Open circuit whose cooldown has passed is HalfOpen. */
export function circuitState(record: CircuitRecord, policy: CircuitPolicy, now: number): CircuitState {
  if (record.state === 'Open' && now >= (record.openedAt ?? 0) + policy.cooldownMs) return 'HalfOpen';
  return record.state;
}

/** When an Open circuit turns HalfOpen; undefined unless Open. */
export function halfOpenAt(record: CircuitRecord, policy: CircuitPolicy): number | undefined {
  return record.state === 'Open' ? (record.openedAt ?? 0) + policy.cooldownMs : undefined;
}

/** Whether an instance may start now: always when Closed, never when Open, one trial when HalfOpen. */
export function mayStart(record: CircuitRecord, policy: CircuitPolicy, now: number): boolean {
  const state = circuitState(record, policy, now);
  return state === 'Closed' || (state === 'HalfOpen' && record.trialAt === undefined);
}

/** A failure at `at`. */
export function recordFailure(record: CircuitRecord, policy: CircuitPolicy, at: number): CircuitRecord {
  const state = circuitState(record, policy, at);
  if (state === 'Open') return record;
  if (state === 'HalfOpen') return { state: 'Open', failures: [], openedAt: at };
  const failures = [...record.failures.filter((t) => t > at - policy.windowMs), at];
  return failures.length >= policy.maxFailures ? { state: 'Open', failures: [], openedAt: at } : { state: 'Closed', failures };
}

/** The half-open trial started at `at`. */
export function recordTrial(record: CircuitRecord, policy: CircuitPolicy, at: number): CircuitRecord {
  return circuitState(record, policy, at) === 'HalfOpen' ? { state: 'HalfOpen', failures: [], openedAt: record.openedAt ?? at, trialAt: at } : record;
}

/** The trial became Ready or ran `resetAfter`: the circuit closes. Closed records stay as they are. */
export function recordTrialSuccess(record: CircuitRecord): CircuitRecord {
  return record.state === 'HalfOpen' && record.trialAt !== undefined ? CLOSED : record;
}

/** The operator's override (`tend restart`): closed, nothing counted. */
export function resetCircuit(): CircuitRecord {
  return CLOSED;
}
