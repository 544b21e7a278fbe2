/**
 * Prober scheduling on a fake clock with a scripted runner: when each probe runs, how startup
 * gates liveness and readiness, thresholds, notification on change, and the in-flight limit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProbeCheck, ProbeSet, ProbeSpec } from '../../src/model/health.ts';
import type { TendEvent } from '../../src/model/event.ts';
import { createProber, type ProbeTarget } from '../../src/monitor/prober.ts';
import type { ProbeOutcome } from '../../src/monitor/probe-outcome.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';
import { SPEC } from '../planner/fixtures.ts';

const probe = (port: number, patch: Partial<ProbeSpec> = {}): ProbeSpec => ({
  check: { type: 'tcp', host: '127.0.0.1', port },
  initialDelayMs: 0,
  periodMs: 1000,
  timeoutMs: 100,
  successThreshold: 1,
  failureThreshold: 2,
  ...patch,
});
const STARTUP = 1;
const LIVENESS = 2;
const READINESS = 3;

// A world: a fake clock, a runner answering by port from `answers`, and what ran when.
function setup(probes: ProbeSet, options: { maxInFlight?: number; hang?: boolean } = {}) {
  const clock = createFakeClock(0);
  const answers = new Map<number, boolean>([[STARTUP, true], [LIVENESS, true], [READINESS, true]]);
  const ran: string[] = [];
  const pending: (() => void)[] = [];
  const events: Omit<TendEvent, 'time'>[] = [];
  const signals: AbortSignal[] = [];
  const run = (check: ProbeCheck, _target: ProbeTarget, _timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> => {
    signals.push(signal);
    const port = check.type === 'tcp' ? check.port : 0;
    ran.push(`${clock.now()}:${port}`);
    const outcome = { ok: answers.get(port) === true, message: `port ${port}` };
    if (options.hang) return new Promise((resolve) => pending.push(() => resolve(outcome)));
    return Promise.resolve(outcome);
  };
  const prober = createProber({ clock, run, events: { record: (e) => events.push(e) }, ...(options.maxInFlight ? { maxInFlight: options.maxInFlight } : {}) });
  const notified: string[] = [];
  prober.subscribe((key) => notified.push(key));
  const target = (instance: string, pid = 10): ProbeTarget => ({ object: 'process/web', instance, replica: 0, pid, startedAt: 0, spec: { ...SPEC, probes }, current: true });
  const health = (instance = 'web-0') => prober.health().get('process/web')?.get(instance);
  return { clock, answers, ran, pending, events, prober, notified, target, health, signals };
}

// Lets resolved probe promises record their outcomes.
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

async function step(w: ReturnType<typeof setup>, ms: number, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    w.clock.advance(ms);
    await flush();
  }
}

void describe('prober', () => {
  void it('runs a probe at start + initialDelay, then every period', async () => {
    const w = setup({ liveness: probe(LIVENESS, { initialDelayMs: 500 }) });
    w.prober.sync([w.target('web-0')]);
    await step(w, 250, 8);
    assert.deepEqual(w.ran, ['500:2', '1500:2']);
  });

  void it('reports how late probes start against their schedule', async () => {
    // Both due at 500; one check at a time, and the first hangs for 200 ms, so the second is late.
    const w = setup({ liveness: probe(LIVENESS, { initialDelayMs: 500 }), readiness: probe(READINESS, { initialDelayMs: 500 }) }, { maxInFlight: 1, hang: true });
    w.prober.sync([w.target('web-0')]);
    assert.deepEqual(w.prober.timing(), { launched: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 });
    await step(w, 500);
    await step(w, 200);
    w.pending.shift()?.();
    await flush();
    assert.deepEqual(w.ran, ['500:2', '700:3']);
    assert.deepEqual(w.prober.timing(), { launched: 2, p50Ms: 200, p99Ms: 200, maxMs: 200 });
  });

  void it('runs startup until it passes, then liveness and readiness', async () => {
    const w = setup({ startup: probe(STARTUP), liveness: probe(LIVENESS), readiness: probe(READINESS) });
    w.answers.set(STARTUP, false);
    w.prober.sync([w.target('web-0')]);
    await flush();
    await step(w, 1000);
    assert.deepEqual(w.ran, ['0:1', '1000:1']);
    assert.equal(w.health()?.started, false);
    w.answers.set(STARTUP, true);
    await step(w, 1000);
    assert.equal(w.health()?.started, true);
    assert.equal(w.health()?.ready, true);
    assert.deepEqual(w.ran.slice(2), ['2000:1', '2000:2', '2000:3']);
    await step(w, 1000);
    assert.deepEqual(w.ran.slice(5), ['3000:2', '3000:3'], 'startup stops once passed');
  });

  void it('liveness fails after failureThreshold consecutive failures, and tells subscribers', async () => {
    const w = setup({ liveness: probe(LIVENESS) });
    w.answers.set(LIVENESS, false);
    w.prober.sync([w.target('web-0')]);
    await flush();
    assert.equal(w.health()?.livenessFailed, false);
    assert.equal(w.health()?.probes.liveness?.failures, 1);
    await step(w, 1000);
    assert.equal(w.health()?.livenessFailed, true);
    assert.ok(w.notified.length >= 2);
    assert.deepEqual(w.events.map((e) => e.reason), ['Unhealthy', 'Unhealthy']);
  });

  void it('readiness flips ready both ways with Ready and NotReady events', async () => {
    const w = setup({ readiness: probe(READINESS, { failureThreshold: 1 }) });
    w.prober.sync([w.target('web-0')]);
    await flush();
    assert.equal(w.health()?.ready, true);
    w.answers.set(READINESS, false);
    await step(w, 1000);
    assert.equal(w.health()?.ready, false);
    assert.deepEqual(w.events.map((e) => e.reason), ['Ready', 'Unhealthy', 'NotReady']);
  });

  void it('a replaced process starts over; a vanished one is dropped and nothing stays scheduled', async () => {
    const w = setup({ readiness: probe(READINESS) });
    w.prober.sync([w.target('web-0')]);
    await flush();
    w.prober.sync([w.target('web-0', 11)]);
    assert.equal(w.health()?.pid, 11);
    assert.equal(w.health()?.ready, false);
    w.prober.sync([]);
    assert.equal(w.prober.health().size, 0);
    assert.equal(w.clock.pending, 0);
  });

  void it('never runs more than maxInFlight checks at once, and skips a probe still running', async () => {
    const w = setup({ liveness: probe(LIVENESS) }, { maxInFlight: 2, hang: true });
    w.prober.sync(['web-0', 'web-1', 'web-2'].map((id) => w.target(id)));
    assert.equal(w.ran.length, 2);
    await step(w, 1000, 3);
    assert.equal(w.ran.length, 2, 'hung checks hold their slots');
    for (const resolve of w.pending.splice(0)) resolve();
    await flush();
    assert.equal(w.ran.length, 4);
  });

  void it('close cuts the checks under way and schedules nothing more', () => {
    const w = setup({ liveness: probe(LIVENESS) }, { hang: true });
    w.prober.sync([w.target('web-0')]);
    w.prober.close();
    assert.equal(w.signals[0]?.aborted, true);
    assert.equal(w.clock.pending, 0);
  });
});
