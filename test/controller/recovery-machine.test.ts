/**
 * The recovery state machine of a slot (the table in src/planner/start-decision.ts), one test
 * per row, through the controller with the dry-run executor and a fake clock. Phases are what
 * `tend get` shows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Action } from '../../src/model/action.ts';
import type { ProcessSpec } from '../../src/model/object.ts';
import { SPEC } from '../planner/fixtures.ts';
import { createSlotWorld, FALLBACK_PROGRAM, WEB, type SlotWorld } from '../helpers/slot-world.ts';

const BACKOFF = { ...SPEC.backoff, strategy: 'exponential', initialDelayMs: 100, maxDelayMs: 300, multiplier: 2, jitter: 0, resetAfterMs: 1_000 } as const;
const BREAKER = { maxFailures: 2, windowMs: 60_000, cooldownMs: 10_000 };
const NEVER_READY: ProcessSpec['probes'] = { readiness: { check: { type: 'exec', command: ['false'] }, initialDelayMs: 0, periodMs: 1000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 1 } };
const WITH_FALLBACK: Partial<ProcessSpec> = { backoff: BACKOFF, circuitBreaker: BREAKER, recovery: { strategy: 'fallback', fallback: FALLBACK_PROGRAM } };

// Crashes the live instance and returns the back-off the plan then waits (ms).
async function delayAfterCrash(w: SlotWorld): Promise<number | undefined> {
  await w.crash();
  const wait = (await w.controller.plan()).find((a): a is Extract<Action, { type: 'wait' }> => a.type === 'wait' && a.reason === 'CrashLoopBackOff');
  return wait === undefined ? undefined : wait.until - w.clock.now();
}

// Crashes the live instance once per wait, letting each wait pass after its crash.
async function crashes(w: SlotWorld, ...waits: number[]): Promise<void> {
  for (const ms of waits) {
    await w.crash();
    await w.advance(ms);
  }
}

// Crashes until the circuit opens (maxFailures 2, the restart between after its back-off).
async function openCircuit(w: SlotWorld): Promise<void> {
  await crashes(w, 100, 0);
  assert.equal(w.circuit(), 'Open');
}

const starts = (w: SlotWorld): Action[] => w.executor.applied.filter((a) => a.type === 'start' && a.fallback !== true);

describe('recovery state machine', () => {
  it('1, 2: an exit backs off, then restarts counting a restart and an attempt; delays double up to maxDelay', async () => {
    const w = await createSlotWorld({ backoff: BACKOFF });
    await w.crash();
    assert.deepEqual(await w.phases(), ['web-0:BackOff']);
    await w.advance(99);
    assert.deepEqual(await w.phases(), ['web-0:BackOff']);
    await w.advance(1);
    assert.deepEqual(await w.phases(), ['web-0:Running']);
    assert.deepEqual(w.slot(), { ...w.slot(), restarts: 1, backoffAttempt: 1 });
    const delays: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(await delayAfterCrash(w));
      await w.advance(300);
    }
    assert.deepEqual(delays, [200, 300, 300, 300]);
  });

  it('3: a run of resetAfter resets the attempt and the count', async () => {
    const w = await createSlotWorld({ backoff: BACKOFF, maxRestarts: 2 });
    await crashes(w, 100, 200);
    assert.equal(w.slot()?.restarts, 2, 'one more failure now would exceed maxRestarts');
    await w.advance(1_000);
    assert.equal(await delayAfterCrash(w), 100, 'the stable run reset the back-off');
    await w.advance(100);
    assert.deepEqual(await w.phases(), ['web-0:Running'], 'and the count: restarted despite maxRestarts 2');
  });

  it('4: with maxRestarts used up an exit is Failed for good', async () => {
    const w = await createSlotWorld({ backoff: BACKOFF, maxRestarts: 1 });
    await crashes(w, 100, 3_600_000);
    assert.deepEqual(await w.phases(), ['web-0:Failed']);
    assert.equal(await w.live(), undefined);
    assert.equal(starts(w).length, 2, 'the first start and one restart');
  });

  it('5: an exit the policy does not restart settles', async () => {
    const never = await createSlotWorld({ backoff: BACKOFF, restartPolicy: 'Never' });
    await never.crash(1);
    await never.advance(10_000);
    assert.deepEqual(await never.phases(), ['web-0:Failed']);
    const onFailure = await createSlotWorld({ backoff: BACKOFF, restartPolicy: 'OnFailure' });
    await onFailure.crash(0);
    await onFailure.advance(10_000);
    assert.deepEqual(await onFailure.phases(), ['web-0:Succeeded']);
  });

  it('6: the maxFailures-th failure opens the circuit: no restart before the cooldown, the fallback runs', async () => {
    const w = await createSlotWorld(WITH_FALLBACK);
    await openCircuit(w);
    await w.advance(9_000);
    assert.deepEqual(await w.phases(), ['web-0:CircuitOpen', 'web-0.fallback:Running']);
    assert.equal(starts(w).length, 2);
  });

  it('7: after the cooldown exactly one trial starts (no fallback configured)', async () => {
    const w = await createSlotWorld({ backoff: BACKOFF, circuitBreaker: BREAKER });
    await openCircuit(w);
    await w.advance(10_000);
    assert.deepEqual(await w.phases(), ['web-0:Running']);
    assert.equal(w.circuit(), 'HalfOpen');
    assert.equal(starts(w).filter((a) => a.type === 'start' && a.circuitTrial === true).length, 1);
  });

  it('8: the fallback stops before the trial starts', async () => {
    const w = await createSlotWorld(WITH_FALLBACK);
    await openCircuit(w);
    await w.advance(10_000);
    assert.deepEqual(await w.phases(), ['web-0:Running']);
    const names = w.executor.applied.map((a) => `${a.type} ${a.instance}`);
    assert.ok(names.indexOf('stop web-0.fallback') < names.lastIndexOf('start web-0'), names.join(', '));
  });

  it('9: a trial that runs resetAfter closes the circuit; failures count from zero', async () => {
    const w = await createSlotWorld(WITH_FALLBACK);
    await openCircuit(w);
    await w.advance(10_000);
    await w.advance(1_000);
    assert.equal(w.circuit(), 'Closed');
    await w.crash();
    assert.equal(w.circuit(), 'Closed', 'one failure after closing does not reopen it');
    assert.deepEqual(await w.phases(), ['web-0:BackOff']);
  });

  it('10: a failed trial opens the circuit again from its exit, and the fallback comes back', async () => {
    const w = await createSlotWorld(WITH_FALLBACK);
    await openCircuit(w);
    await w.advance(10_000);
    const failedAt = w.clock.now() + 50;
    await w.advance(50);
    await w.crash();
    assert.equal(w.circuit(), 'Open');
    assert.equal(w.controller.history().get(WEB)?.circuit?.openedAt, failedAt);
    assert.deepEqual(await w.phases(), ['web-0:CircuitOpen', 'web-0.fallback:Running']);
  });

  it('11: tend stop of UnlessStopped stops the instance and the fallback, and holds across a manifest edit', async () => {
    const w = await createSlotWorld({ ...WITH_FALLBACK, restartPolicy: 'UnlessStopped' });
    await openCircuit(w);
    await w.operate('stop');
    await w.relabel();
    await w.advance(20_000);
    assert.deepEqual(await w.phases(), ['web-0:Stopped']);
  });

  it('12: tend start resumes: a stopped instance starts fresh, a crashed one follows the circuit', async () => {
    const w = await createSlotWorld({ ...WITH_FALLBACK, restartPolicy: 'UnlessStopped' });
    await crashes(w, 100);
    await w.operate('stop');
    await w.operate('start');
    assert.deepEqual(await w.phases(), ['web-0:Running']);
    assert.equal(w.slot()?.backoffAttempt, 0, 'a fresh start');
    await openCircuit(w);
    await w.operate('stop');
    await w.operate('start');
    assert.deepEqual(await w.phases(), ['web-0:CircuitOpen', 'web-0.fallback:Running']);
  });

  it('13: tend restart closes an open circuit and starts fresh', async () => {
    const w = await createSlotWorld(WITH_FALLBACK);
    await openCircuit(w);
    await w.advance(1);
    await w.operate('restart');
    assert.equal(w.circuit(), 'Closed');
    assert.deepEqual(await w.phases(), ['web-0:Running']);
    assert.deepEqual([w.slot()?.restarts, w.slot()?.backoffAttempt], [0, 0]);
  });

  it('15: an old instance that crashes while the rollout is held backs off and restarts as its own revision, by its own policy', async () => {
    const w = await createSlotWorld({ replicas: 2, backoff: BACKOFF, restartPolicy: 'Always' });
    const old = (await w.instances())[0]?.specHash;
    await w.update({ restartPolicy: 'Never', probes: NEVER_READY }, 'h-new');
    assert.deepEqual((await w.instances()).map((i) => `${i.id}:${i.specHash === old ? 'old' : 'new'}`), ['web-1:old', 'web-0:new'], 'held: the new web-0 is never ready');
    await w.crash(1, 'web-1');
    assert.deepEqual(await w.phases(), ['web-0:Running', 'web-1:BackOff']);
    await w.advance(100);
    const web1 = (await w.instances()).find((i) => i.id === 'web-1');
    assert.deepEqual([web1?.state, web1?.specHash], ['running', old]);
    assert.equal(w.controller.history().get(WEB)?.slots[1]?.restarts, 1);
  });

  it('16: an old instance whose own policy does not restart it gives its slot to the new revision at once', async () => {
    const w = await createSlotWorld({ replicas: 2, backoff: BACKOFF, restartPolicy: 'Never' });
    await w.update({ restartPolicy: 'Always', probes: NEVER_READY }, 'h-new');
    await w.crash(1, 'web-1');
    const web1 = (await w.instances()).find((i) => i.id === 'web-1');
    assert.deepEqual([web1?.state, web1?.specHash], ['running', 'h-new']);
    assert.equal(w.controller.history().get(WEB)?.slots[1]?.restarts ?? 0, 0, 'a fresh start of the new revision, not a restart');
  });

  it('14: a controller restart keeps the open circuit and the one fallback', async () => {
    const w = await createSlotWorld(WITH_FALLBACK);
    await openCircuit(w);
    const fallback = (await w.instances()).find((i) => i.fallback);
    const applied = w.executor.applied.length;
    await w.restartController();
    assert.equal(w.circuit(), 'Open');
    assert.deepEqual((await w.instances()).filter((i) => i.fallback), [fallback]);
    assert.deepEqual(w.executor.applied.slice(applied).filter((a) => a.type !== 'wait'), [], 'nothing started or stopped');
  });
});
