/**
 * standingOrders: the restart a plan would make at once after an instance's end, armed ahead.
 * Each case changes one thing of a zero-backoff, restart-Always object with two running replicas.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { History, ObjectHistory } from '../../src/model/history.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { ManifestObject, ProcessSpec } from '../../src/model/object.ts';
import type { PlanWorld } from '../../src/planner/key-plan.ts';
import { planWorld } from '../../src/planner/plan-world.ts';
import { MAX_ARMED_INSTANCES, mayArm, standingOrders } from '../../src/planner/standing-order.ts';
import { HASH, KEY, NOW, OLD_HASH, processObject, running } from './fixtures.ts';

const ZERO_BACKOFF: ProcessSpec['backoff'] = { strategy: 'fixed', initialDelayMs: 0, maxDelayMs: 0, multiplier: 1, jitter: 0, resetAfterMs: 600_000 };

function world(spec: Partial<ProcessSpec> = {}, instances: readonly ObservedInstance[] = [running(0), running(1)], history?: Partial<ObjectHistory>): PlanWorld {
  const object: ManifestObject = processObject('web', { backoff: ZERO_BACKOFF, ...spec });
  const entry: ObjectHistory = { generation: 1, contentHash: `c-${HASH}`, slots: {}, ...history };
  const histories: History = new Map([[KEY, entry]]);
  return planWorld({ objects: new Map([[KEY, object]]), observed: new Map([[KEY, instances]]), history: histories, now: NOW, machine: { cpu: 8, memory: 2 ** 34 } });
}

const summary = (w: PlanWorld): string[] => standingOrders(w, KEY).map((o) => `${o.instance} ${o.on} -> ${o.start.instance} ${o.start.reason} ${o.start.specHash} attempt ${o.start.backoffAttempt}${o.start.countsAsRestart ? ' counted' : ''}`);

describe('standingOrders', () => {
  it('arms each running instance of a zero-backoff Always object: any end, the same slot and revision, counted as a restart', () => {
    assert.deepEqual(summary(world()), [`web-0 any -> web-0 RestartPolicy ${HASH} attempt 1 counted`, `web-1 any -> web-1 RestartPolicy ${HASH} attempt 1 counted`]);
  });

  it('arms nothing for an object of more instances than MAX_ARMED_INSTANCES (each order is one more plan of the key)', () => {
    const replicas = (n: number) => Array.from({ length: n }, (_, i) => running(i));
    assert.equal(standingOrders(world({ replicas: MAX_ARMED_INSTANCES }, replicas(MAX_ARMED_INSTANCES)), KEY).length, MAX_ARMED_INSTANCES);
    assert.deepEqual(summary(world({ replicas: MAX_ARMED_INSTANCES + 1 }, replicas(MAX_ARMED_INSTANCES + 1))), []);
  });

  it('arms OnFailure for failures only, and Never not at all', () => {
    assert.deepEqual(summary(world({ restartPolicy: 'OnFailure' })).map((s) => s.split(' ')[1]), ['failure', 'failure']);
    assert.deepEqual(summary(world({ restartPolicy: 'Never' })), []);
  });

  it('arms nothing while the backoff delays a restart; a zero maxDelay caps every delay at 0', () => {
    assert.deepEqual(summary(world({ backoff: { ...ZERO_BACKOFF, initialDelayMs: 100, maxDelayMs: 1000 } })), []);
    assert.equal(summary(world({ backoff: { ...ZERO_BACKOFF, initialDelayMs: 100, maxDelayMs: 0 } })).length, 2);
  });

  it('carries the backoff attempt the restart will record', () => {
    const slots = { 0: { restarts: 3, backoffAttempt: 3 } };
    assert.deepEqual(summary(world({}, [running(0, { startedAt: NOW - 1000 })], { slots })), [`web-0 any -> web-0 RestartPolicy ${HASH} attempt 4 counted`]);
    // A run of resetAfter or longer starts the count again.
    assert.deepEqual(summary(world({}, [running(0, { startedAt: NOW - 600_000 })], { slots })), [`web-0 any -> web-0 RestartPolicy ${HASH} attempt 1 counted`]);
  });

  it('arms nothing once maxRestarts is reached by the next failure', () => {
    const slots = { 0: { restarts: 2, backoffAttempt: 2 } };
    const recent = running(0, { startedAt: NOW - 1000 });
    assert.deepEqual(summary(world({ maxRestarts: 2 }, [recent], { slots })), []);
    assert.equal(summary(world({ maxRestarts: 3 }, [recent], { slots })).length, 1);
  });

  it('arms nothing when one more failure opens the circuit breaker, and arms below that', () => {
    const circuitBreaker = { maxFailures: 3, windowMs: 60_000, cooldownMs: 30_000 };
    const near = { circuit: { state: 'Closed' as const, failures: [NOW - 2000, NOW - 1000] } };
    assert.deepEqual(summary(world({ circuitBreaker }, [running(0)], near)), []);
    const room = { circuit: { state: 'Closed' as const, failures: [NOW - 1000] } };
    assert.equal(summary(world({ circuitBreaker }, [running(0)], room)).length, 1);
    // Failures that left the window do not count.
    const old = { circuit: { state: 'Closed' as const, failures: [NOW - 120_000, NOW - 90_000] } };
    assert.equal(summary(world({ circuitBreaker }, [running(0)], old)).length, 1);
  });

  it('arms nothing for the half-open trial: its failure opens the circuit again', () => {
    const circuitBreaker = { maxFailures: 3, windowMs: 60_000, cooldownMs: 30_000 };
    const trial = { circuit: { state: 'HalfOpen' as const, failures: [], openedAt: NOW - 40_000, trialAt: NOW - 1000 } };
    assert.deepEqual(summary(world({ circuitBreaker }, [running(0)], trial)), []);
  });

  it('arms nothing for an instance of an earlier revision: its slot goes to the new one', () => {
    assert.deepEqual(summary(world({}, [running(0, { specHash: OLD_HASH })])), []);
  });

  it('arms nothing for instances stopping, in a hook, suspended, or while tend stop holds the object', () => {
    assert.deepEqual(summary(world({}, [running(0, { state: 'stopping' }), running(1, { hook: 'postStart' })])), []);
    assert.deepEqual(summary(world({}, [running(0, { suspendedAt: NOW - 5 })])), []);
    assert.deepEqual(summary(world({}, [running(0)], { override: { type: 'stopped', at: NOW - 10, generation: 1 } })), []);
  });

  it('arms nothing for programs with lifecycle hooks or resource limits', () => {
    const hook = { command: ['/bin/true'], timeoutMs: 1000 };
    assert.equal(mayArm({ ...processObject('web', { backoff: ZERO_BACKOFF }).spec, lifecycle: { preStart: hook } }), false);
    assert.equal(mayArm({ ...processObject('web', { backoff: ZERO_BACKOFF }).spec, stop: { signal: 'SIGTERM', gracePeriodMs: 1000, postStop: hook } }), false);
    assert.deepEqual(summary(world({ lifecycle: { postStart: hook } })), []);
    assert.equal(mayArm(processObject('web', { backoff: ZERO_BACKOFF }).spec), true);
  });

  it('names the replacement id under recovery strategy replace', () => {
    const orders = standingOrders(world({ recovery: { strategy: 'replace' } }, [running(0, { id: 'web-0.2' })]), KEY);
    assert.deepEqual(orders.map((o) => [o.instance, o.start.instance, o.start.replaces]), [['web-0.2', 'web-0.3', 'web-0.2']]);
  });

  it('arms nothing for objects that are not Processes or not desired', () => {
    const w = world();
    assert.deepEqual(standingOrders({ ...w, objects: new Map() }, KEY), []);
  });
});
