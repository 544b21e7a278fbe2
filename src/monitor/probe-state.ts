/**
 * The bookkeeping of one instance's probes, as pure functions the prober calls: which probes are
 * active and when each is due, how a result extends its streak, and what the streaks say
 * (started, ready, liveness failed). No I/O, no clock: times come in as numbers.
 *
 *     startup due at start+initialDelay, every period, until it passes successThreshold times
 *     then liveness and readiness: due at max(start+initialDelay, time started), every period
 */
import type { InstanceHealth, ProbeKind, ProbeResult, ProbeSet } from '../model/health.ts';
import type { ProbeOutcome } from './probe-outcome.ts';

/** One probe's schedule and last result. */
export interface ProbeSlot {
  readonly nextAt: number;
  readonly inFlight: boolean;
  readonly result?: ProbeResult;
}

/** Everything known of one instance's probes. */
export interface ProbeBook {
  readonly pid: number;
  readonly startedAt: number;
  /** When the prober began to watch the process. */
  readonly since: number;
  readonly started: boolean;
  readonly ready: boolean;
  readonly slots: Readonly<Partial<Record<ProbeKind, ProbeSlot>>>;
}

/**
 * A fresh book for a process started at `startedAt` and first seen at `since`: only startup runs
 * until it passes, first at the start plus its initial delay.
 */
export function newProbeBook(probes: ProbeSet, pid: number, startedAt: number, since: number): ProbeBook {
  const started = probes.startup === undefined;
  const book: ProbeBook = { pid, startedAt, since, started, ready: false, slots: {} };
  return started ? openGate(book, probes, startedAt) : withSlot(book, 'startup', { nextAt: startedAt + (probes.startup?.initialDelayMs ?? 0), inFlight: false });
}

/** The probes that run now: startup until it passes, then liveness and readiness. */
export function activeKinds(book: ProbeBook, probes: ProbeSet): ProbeKind[] {
  if (!book.started) return probes.startup ? ['startup'] : [];
  const kinds: ProbeKind[] = [];
  if (probes.liveness) kinds.push('liveness');
  if (probes.readiness) kinds.push('readiness');
  return kinds;
}

/** Marks `kind` as running; its next run is one period after this one was due (or now, if later). */
export function markLaunched(book: ProbeBook, probes: ProbeSet, kind: ProbeKind, now: number): ProbeBook {
  const slot = book.slots[kind];
  const period = probes[kind]?.periodMs ?? 1;
  const nextAt = Math.max((slot?.nextAt ?? now) + period, now);
  return withSlot(book, kind, { ...slot, nextAt, inFlight: true });
}

/** Records the outcome of `kind` at `at`: extends its streak and updates started and ready. */
export function recordOutcome(book: ProbeBook, probes: ProbeSet, kind: ProbeKind, outcome: ProbeOutcome, at: number): ProbeBook {
  const slot = book.slots[kind] ?? { nextAt: at, inFlight: false };
  const before = slot.result;
  const result: ProbeResult = {
    ok: outcome.ok,
    at,
    message: outcome.message,
    successes: outcome.ok ? (before?.ok === true ? before.successes : 0) + 1 : 0,
    failures: outcome.ok ? 0 : (before?.ok === false ? before.failures : 0) + 1,
  };
  const next = withSlot(book, kind, { nextAt: slot.nextAt, inFlight: false, result });
  const spec = probes[kind];
  if (spec === undefined) return next;
  if (kind === 'startup' && !next.started && result.successes >= spec.successThreshold) return openGate({ ...next, started: true }, probes, at);
  if (kind === 'readiness' && result.successes >= spec.successThreshold) return { ...next, ready: true };
  if (kind === 'readiness' && result.failures >= spec.failureThreshold) return { ...next, ready: false };
  return next;
}

/** The observation the planner reads. */
export function healthOfBook(book: ProbeBook, probes: ProbeSet): InstanceHealth {
  const liveness = book.slots.liveness?.result;
  const threshold = probes.liveness?.failureThreshold ?? Infinity;
  const results: Partial<Record<ProbeKind, ProbeResult>> = {};
  for (const [kind, slot] of Object.entries(book.slots)) if (slot.result) results[kind as ProbeKind] = slot.result;
  return {
    pid: book.pid,
    startedAt: book.startedAt,
    since: book.since,
    started: book.started,
    ready: book.ready,
    livenessFailed: book.started && (liveness?.failures ?? 0) >= threshold,
    probes: results,
  };
}

// Schedules liveness and readiness once the startup gate opens at `at`.
function openGate(book: ProbeBook, probes: ProbeSet, at: number): ProbeBook {
  let next = book;
  for (const kind of ['liveness', 'readiness'] as const) {
    const spec = probes[kind];
    if (spec) next = withSlot(next, kind, { nextAt: Math.max(book.startedAt + spec.initialDelayMs, at), inFlight: false });
  }
  return next;
}

function withSlot(book: ProbeBook, kind: ProbeKind, slot: ProbeSlot): ProbeBook {
  return { ...book, slots: { ...book.slots, [kind]: slot } };
}
