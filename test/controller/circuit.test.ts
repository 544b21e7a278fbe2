/**
 * The circuit breaker through the controller, with a fake clock and the dry-run executor:
 * open after maxFailures in the window, no restarts while open, one trial when half-open, a
 * failed trial reopens, a trial that runs resetAfter closes, and `tend restart` overrides.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createController } from '../../src/controller/controller.ts';
import { createDryRunExecutor } from '../../src/executor/dry-run.ts';
import type { TendEvent } from '../../src/model/event.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';
import type { ProcessSpec } from '../../src/model/object.ts';
import { processObject, SPEC } from '../planner/fixtures.ts';

function setup(probes: ProcessSpec['probes'] = {}) {
  const clock = createFakeClock();
  const executor = createDryRunExecutor(undefined, clock);
  const events: TendEvent[] = [];
  const controller = createController({ executor, clock, events: { record: ({ at: _at, ...e }) => events.push({ time: '', ...e }) }, pruneGraceMs: 0 });
  const object = processObject('web', {
    replicas: 1,
    backoff: { ...SPEC.backoff, initialDelayMs: 100, strategy: 'fixed', resetAfterMs: 2000 },
    circuitBreaker: { maxFailures: 2, windowMs: 60_000, cooldownMs: 10_000 },
    probes,
  });
  controller.applyLoad([{ file: 'web.yaml', ok: true, empty: false, objects: [object] }], 'r');
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await controller.idle();
    }
  };
  const state = async (): Promise<string | undefined> => (await executor.observe()).get('process/web')?.[0]?.state;
  const circuit = (): string | undefined => controller.history().get('process/web')?.circuit?.state;
  const crash = async (): Promise<void> => {
    executor.exit('process/web', 'web-0', { code: 1, signal: null });
    await settle();
  };
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await settle();
  };
  return { controller, events, settle, state, circuit, crash, advance };
}

test('open after maxFailures, no restart while open, a failed trial reopens, a long enough trial closes', async () => {
  const t = setup();
  await t.settle();
  assert.equal(await t.state(), 'running');
  await t.crash();
  await t.advance(100);
  assert.equal(await t.state(), 'running', 'the first failure restarts after its backoff');
  await t.crash();
  assert.equal(t.circuit(), 'Open');
  assert.ok(t.events.some((e) => e.reason === 'CircuitOpened'));
  await t.advance(9_000);
  assert.equal(await t.state(), 'exited', 'no restart while open');
  await t.advance(1_000);
  assert.equal(await t.state(), 'running', 'the half-open trial started');
  assert.equal(t.circuit(), 'HalfOpen');
  await t.crash();
  assert.equal(t.circuit(), 'Open', 'the failed trial opened it again');
  await t.advance(10_000);
  assert.equal(await t.state(), 'running');
  await t.advance(2_000);
  assert.equal(t.circuit(), 'Closed', 'the trial ran resetAfter');
  assert.ok(t.events.some((e) => e.reason === 'CircuitClosed'));
});

test('a trial that never turns Ready closes the circuit once it has run resetAfter, with nothing else waking its key', async () => {
  const never: ProcessSpec['probes'] = { readiness: { check: { type: 'exec', command: ['false'] }, initialDelayMs: 0, periodMs: 1000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 1 } };
  const t = setup(never);
  await t.settle();
  await t.crash();
  await t.advance(100);
  await t.crash();
  await t.advance(10_000);
  assert.equal(t.circuit(), 'HalfOpen');
  assert.equal(await t.state(), 'running', 'the trial runs');
  await t.advance(1_999);
  assert.equal(t.circuit(), 'HalfOpen', 'not before resetAfter');
  await t.advance(1);
  assert.equal(t.circuit(), 'Closed', 'the trial ran resetAfter');
});

test('tend restart on an open circuit closes it and starts a fresh instance', async () => {
  const t = setup();
  await t.settle();
  await t.crash();
  await t.advance(100);
  await t.crash();
  assert.equal(t.circuit(), 'Open');
  await t.advance(1);
  t.controller.operate('process/web', 'restart');
  await t.settle();
  assert.equal(t.circuit(), 'Closed');
  assert.equal(await t.state(), 'running');
  assert.ok(t.events.some((e) => e.reason === 'CircuitClosed' && /operator/.test(e.message)));
});
