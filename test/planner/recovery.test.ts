/**
 * Recovery strategies in the planner: `replace` ids, and the fallback program's slot timeline
 * (started while the circuit is open, stopped before the half-open trial, the trial held until
 * it is gone, stopped when the circuit closes or on `tend stop`, restarted after a crash).
 * Whole plans are compared, messages blanked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Action, StartAction } from '../../src/model/action.ts';
import type { CircuitRecord } from '../../src/model/failure.ts';
import type { FallbackProgram } from '../../src/model/object.ts';
import { plan } from '../../src/planner/plan-key.ts';
import { replacementId } from '../../src/planner/recovery.ts';
import type { Fixture, Mutator } from './fixtures.ts';
import { BASE, KEY, NOW, SPEC, blankMessages, exited, expectFor, running, toInput, withHistory, withInstances, withSpec } from './fixtures.ts';

const BREAKER = { maxFailures: 2, windowMs: 60_000, cooldownMs: 10_000 };
const FALLBACK: FallbackProgram = { ...SPEC, command: ['node', 'maintenance.js'], env: { PORT: '8080', MODE: 'fallback' }, hash: 'h-fallback' };
const OPEN: CircuitRecord = { state: 'Open', failures: [], openedAt: NOW - 1_000 };
const HALF_OPEN_DUE: CircuitRecord = { state: 'Open', failures: [], openedAt: NOW - 10_000 };
const TRIAL_RUNNING: CircuitRecord = { state: 'HalfOpen', failures: [], openedAt: NOW - 20_000, trialAt: NOW - 5_000 };

const single = withSpec({ replicas: 1, circuitBreaker: BREAKER });
const fallbackSpec = withSpec({ replicas: 1, circuitBreaker: BREAKER, recovery: { strategy: 'fallback', fallback: FALLBACK } });
const circuit = (record: CircuitRecord): Mutator => withHistory({ circuit: record });
const fallbackRunning = (patch = {}) => running(0, { id: 'web-0.fallback', fallback: true, specHash: 'h-fallback', pid: 900, ...patch });

function planOf(...mutators: Mutator[]): { plan: Action[]; fixture: Fixture } {
  const fixture = mutators.reduce<Fixture>((f, m) => m(f), BASE);
  return { plan: blankMessages(plan(toInput(fixture))), fixture };
}

function fallbackStart(f: Fixture): StartAction {
  const { hash: _hash, ...program } = FALLBACK;
  const base = expectFor(f).start(0, 'CircuitFallback');
  return { ...base, instance: 'web-0.fallback', spec: { ...base.spec, ...program }, specHash: 'h-fallback', fallback: true };
}

const circuitWait = (until: number): Action => ({ type: 'wait', object: KEY, instance: 'web-0', reason: 'CircuitOpen', message: '', until });
const stopFallback = (reason: 'FallbackDone' | 'SpecChanged' | 'ScaleDown'): Action => ({ type: 'stop', object: KEY, instance: 'web-0.fallback', reason, message: '', stop: SPEC.stop, forget: false });

describe('recovery strategy replace', () => {
  it('names the replacement after the failed instance, one generation on', () => {
    assert.equal(replacementId('web-0', 'web-0'), 'web-0.1');
    assert.equal(replacementId('web-0', 'web-0.1'), 'web-0.2');
    assert.equal(replacementId('web-0', 'web-0.41'), 'web-0.42');
    assert.equal(replacementId('web-0', 'web-0.fallback'), 'web-0.1');
  });

  it('restarts a crashed instance under a fresh id that replaces it', () => {
    const { plan, fixture } = planOf(withSpec({ replicas: 1, recovery: { strategy: 'replace' } }), withInstances(exited(0, {}, { id: 'web-0.3' })));
    assert.deepEqual(plan, [{ ...expectFor(fixture).start(0, 'RestartPolicy', 1, true), instance: 'web-0.4', replaces: 'web-0.3' }]);
  });

  it('strategy restart (the default) reuses the slot id', () => {
    const { plan, fixture } = planOf(withSpec({ replicas: 1 }), withInstances(exited(0)));
    assert.deepEqual(plan, [expectFor(fixture).start(0, 'RestartPolicy', 1, true)]);
  });
});

describe('recovery strategy fallback', () => {
  it('starts the fallback in the slot of a down instance while the circuit is open', () => {
    const { plan, fixture } = planOf(fallbackSpec, circuit(OPEN), withInstances(exited(0)));
    assert.deepEqual(plan, [circuitWait(NOW + 9_000), fallbackStart(fixture)]);
  });

  it('keeps one running fallback: nothing more to start', () => {
    const { plan } = planOf(fallbackSpec, circuit(OPEN), withInstances(exited(0), fallbackRunning()));
    assert.deepEqual(plan, [circuitWait(NOW + 9_000)]);
  });

  it('no fallback without strategy fallback', () => {
    const { plan } = planOf(single, circuit(OPEN), withInstances(exited(0)));
    assert.deepEqual(plan, [circuitWait(NOW + 9_000)]);
  });

  it('half-open: stops the fallback first and holds the trial start', () => {
    const { plan } = planOf(fallbackSpec, circuit(HALF_OPEN_DUE), withInstances(exited(0), fallbackRunning()));
    assert.deepEqual(plan, [stopFallback('FallbackDone')]);
  });

  it('half-open: a fallback still stopping holds the trial, with nothing to do', () => {
    const { plan } = planOf(fallbackSpec, circuit(HALF_OPEN_DUE), withInstances(exited(0), fallbackRunning({ state: 'stopping', stopReason: 'FallbackDone' })));
    assert.deepEqual(plan, []);
  });

  it('half-open: the trial starts once the fallback is gone', () => {
    const { plan, fixture } = planOf(fallbackSpec, circuit(HALF_OPEN_DUE), withInstances(exited(0)));
    assert.deepEqual(plan, [{ ...expectFor(fixture).start(0, 'RestartPolicy', 1, true), circuitTrial: true }]);
  });

  it('half-open with the trial running: no fallback in the trial slot', () => {
    const { plan } = planOf(fallbackSpec, circuit(TRIAL_RUNNING), withInstances(running(0, { startedAt: NOW - 5_000 })));
    assert.deepEqual(plan, []);
  });

  it('closed: the fallback stops and the primary start waits for it', () => {
    const { plan } = planOf(fallbackSpec, circuit({ state: 'Closed', failures: [] }), withInstances(exited(0), fallbackRunning()));
    assert.deepEqual(plan, [stopFallback('FallbackDone')]);
  });

  it('tend stop stops the fallback too', () => {
    const { plan } = planOf(fallbackSpec, circuit(OPEN), withHistory({ circuit: OPEN, override: { type: 'stopped', at: NOW, generation: 1 } }), withInstances(exited(0), fallbackRunning()));
    assert.deepEqual(plan, [stopFallback('FallbackDone')]);
  });

  it('a changed fallback program replaces the running fallback', () => {
    const { plan } = planOf(fallbackSpec, circuit(OPEN), withInstances(exited(0), fallbackRunning({ specHash: 'h-old-fallback' })));
    assert.deepEqual(plan, [circuitWait(NOW + 9_000), stopFallback('SpecChanged')]);
  });

  it('a crashed fallback starts again after the first backoff delay', () => {
    const crashed = exited(0, { at: NOW - 500 }, { id: 'web-0.fallback', fallback: true, specHash: 'h-fallback' });
    const waiting = planOf(fallbackSpec, circuit(OPEN), withInstances(exited(0), crashed));
    assert.deepEqual(waiting.plan, [circuitWait(NOW + 9_000), { type: 'wait', object: KEY, instance: 'web-0.fallback', reason: 'CrashLoopBackOff', message: '', until: NOW + 500 }]);
    const due = planOf(fallbackSpec, circuit(OPEN), withInstances(exited(0), exited(0, { at: NOW - 1_000 }, { id: 'web-0.fallback', fallback: true })));
    assert.deepEqual(due.plan, [circuitWait(NOW + 9_000), fallbackStart(due.fixture)]);
  });

  it('a fallback of an object gone from the manifests is pruned with it', () => {
    const { plan } = planOf(fallbackSpec, circuit(OPEN), withInstances(exited(0), fallbackRunning()), (f) => ({ ...f, objects: [] }));
    assert.deepEqual(plan.map((a) => [a.type, a.instance, a.reason]), [['stop', 'web-0', 'Pruned'], ['stop', 'web-0.fallback', 'Pruned']]);
  });
});

describe('half-open with several replicas', () => {
  it('starts exactly one trial in a pass', () => {
    const { plan, fixture } = planOf(withSpec({ replicas: 2, circuitBreaker: BREAKER }), circuit(HALF_OPEN_DUE), withInstances(exited(0), exited(1)));
    assert.deepEqual(plan, [{ ...expectFor(fixture).start(0, 'RestartPolicy', 1, true), circuitTrial: true }]);
  });
});
