/**
 * Resource exhaustion in the plan: a breach of a running instance stops it (ResourceExhaustion
 * with the stop policy, ResourceKill with SIGKILL), the exits are ResourceExhaustion failures,
 * a restart-exit goes through the restart policy and a kill-exit is never restarted.
 * Whole plans are compared, messages blanked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exitOf } from '../../src/model/instance.ts';
import { classifyExit } from '../../src/planner/failures.ts';
import type { LimitBreach } from '../../src/planner/exhaustion.ts';
import { instancePhase } from '../../src/planner/phase.ts';
import { plan } from '../../src/planner/plan-key.ts';
import { BASE, KEY, NOW, blankMessages, exited, expectFor, processObject, running, toInput, withInstances, type Fixture } from './fixtures.ts';

function planWith(fixture: Fixture, breaches: Readonly<Record<string, LimitBreach>>) {
  return blankMessages(plan({ ...toInput(fixture), breaches: new Map([[KEY, new Map(Object.entries(breaches))]]) }));
}

const restartBreach: LimitBreach = { pid: 101, onExceed: 'restart', message: 'memory 300 MiB > limit 256 MiB' };

void describe('plan: resource exhaustion', () => {
  void it('a breach with onExceed restart stops the instance with its stop policy', () => {
    const e = expectFor(BASE);
    assert.deepEqual(planWith(BASE, { 'web-1': restartBreach }), [e.stop(1, 'ResourceExhaustion', false)]);
  });

  void it('a breach with onExceed kill SIGKILLs it at once', () => {
    const e = expectFor(BASE);
    assert.deepEqual(planWith(BASE, { 'web-1': { ...restartBreach, onExceed: 'kill' } }), [{ ...e.stop(1, 'ResourceKill', false, { signal: 'SIGKILL', gracePeriodMs: 0 }), program: processObject().spec }]);
  });

  void it('the message names the figure', () => {
    const [action] = plan({ ...toInput(BASE), breaches: new Map([[KEY, new Map([['web-1', restartBreach]])]]) });
    assert.equal(action?.message, 'memory 300 MiB > limit 256 MiB (onExceed restart)');
  });

  void it('a breach of an earlier process in the slot, or of a stopping instance, is ignored', () => {
    assert.deepEqual(planWith(BASE, { 'web-1': { ...restartBreach, pid: 999 } }), []);
    const stopping = withInstances(running(0), running(1, { state: 'stopping', stopReason: 'ResourceExhaustion' }))(BASE);
    assert.deepEqual(planWith(stopping, { 'web-1': restartBreach }), []);
  });

  void it('the exit of a limit stop is an unrequested ResourceExhaustion failure carrying the figure', () => {
    const stopping = running(1, { state: 'stopping', stopReason: 'ResourceExhaustion', stopMessage: 'memory 300 MiB > limit 256 MiB' });
    const exit = exitOf(stopping, { code: null, signal: 'SIGTERM', reason: 'Exited' }, NOW);
    assert.deepEqual(exit, { code: null, signal: 'SIGTERM', reason: 'ResourceExhaustion', at: NOW, requested: false, message: 'memory 300 MiB > limit 256 MiB' });
    assert.equal(classifyExit(exit, stopping.stopReason), 'ResourceExhaustion');
    const killed = exitOf({ ...stopping, stopReason: 'ResourceKill' }, { code: null, signal: 'SIGKILL', reason: 'Exited' }, NOW);
    assert.equal(classifyExit(killed, 'ResourceKill'), 'ResourceExhaustion');
  });

  void it('a kernel OOM kill is a ResourceExhaustion failure; a plain SIGKILL stays a Crash', () => {
    const oom = { code: null, signal: 'SIGKILL', reason: 'ResourceExhaustion', at: NOW, requested: false, message: 'killed by the kernel OOM killer (memory limit 64 MiB)' } as const;
    assert.equal(classifyExit(oom), 'ResourceExhaustion');
    assert.equal(classifyExit({ ...oom, reason: 'Exited' }), 'Crash');
  });

  void it('after a restart-exit the restart policy restarts it; after a kill-exit nothing starts and it is Failed', () => {
    const at = NOW - 60_000;
    const restarted = withInstances(running(0), exited(1, { reason: 'ResourceExhaustion', signal: 'SIGTERM', code: null, at }))(BASE);
    assert.deepEqual(planWith(restarted, {}), [expectFor(restarted).start(1, 'RestartPolicy', 1, true)]);
    const killedExit = exited(1, { reason: 'ResourceKill', signal: 'SIGKILL', code: null, at });
    const killed = withInstances(running(0), killedExit)(BASE);
    assert.deepEqual(planWith(killed, {}), []);
    assert.deepEqual(instancePhase(killedExit, processObject(), undefined, [], new Map()), { phase: 'Failed', reason: 'ResourceKill' });
  });
});
