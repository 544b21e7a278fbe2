import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planObject } from '../../src/planner/plan.ts';
import { exited, KEY, NOW, processObject, running, SPEC } from './fixtures.ts';

void describe('pool worker recycling in the planner', () => {
  void it('stops a running worker whose pid is due for recycling, and nothing else', () => {
    const object = { ...processObject(), recycle: [101] };
    const plan = planObject(KEY, object, [running(0), running(1)], undefined, NOW);
    assert.deepEqual(plan.map((a) => [a.type, a.instance, a.reason]), [['stop', 'web-1', 'Recycle']]);
    assert.equal(plan[0]?.type === 'stop' && plan[0].forget, false);
    assert.deepEqual(plan[0]?.type === 'stop' ? plan[0].stop : undefined, SPEC.stop);
  });

  void it('ignores a recycled pid that no longer runs, and starts the slot fresh after the requested stop', () => {
    const object = { ...processObject(), recycle: [999] };
    assert.deepEqual(planObject(KEY, object, [running(0), running(1)], undefined, NOW), []);
    const after = planObject(KEY, processObject(), [running(0), exited(1, { requested: true, code: 0, signal: 'SIGTERM' })], undefined, NOW);
    assert.deepEqual(after.map((a) => [a.type, a.instance, a.reason]), [['start', 'web-1', 'RestartPolicy']]);
  });
});
