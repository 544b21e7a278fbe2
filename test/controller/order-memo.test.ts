/**
 * The standing-order memo: a key's orders are planned again only when its object, history entry
 * or an instance record changed; objects with dependencies are planned every time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOrderMemo } from '../../src/controller/order-memo.ts';
import type { StandingOrder } from '../../src/model/action.ts';
import type { History } from '../../src/model/history.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { ManifestObject, ObjectKey } from '../../src/model/object.ts';
import type { PlanWorld } from '../../src/planner/key-plan.ts';
import { planWorld } from '../../src/planner/plan-world.ts';
import { KEY, NOW, processObject, running } from '../planner/fixtures.ts';

function worldOf(object: ManifestObject, instances: readonly ObservedInstance[], history: History = new Map()): PlanWorld {
  return planWorld({ objects: new Map([[KEY, object]]), observed: new Map([[KEY, instances]]), history, now: NOW, machine: { cpu: 8, memory: 2 ** 34 } });
}

function counting(): { plans: ObjectKey[]; plan: (world: PlanWorld, key: ObjectKey) => readonly StandingOrder[] } {
  const plans: ObjectKey[] = [];
  return { plans, plan: (_world, key) => (plans.push(key), []) };
}

test('a key seen as it was is not planned again; a changed instance record, object or history entry is', () => {
  const { plans, plan } = counting();
  const ordersOf = createOrderMemo(plan);
  const object = processObject('web', { replicas: 2 });
  const [a, b] = [running(0), running(1)];
  ordersOf(worldOf(object, [a, b]), KEY);
  ordersOf(worldOf(object, [a, b]), KEY);
  assert.equal(plans.length, 1, 'the same records in a new list: nothing to plan');
  ordersOf(worldOf(object, [a, { ...b, pid: 999 }]), KEY);
  assert.equal(plans.length, 2, 'an instance record changed');
  ordersOf(worldOf(processObject('web', { replicas: 2 }), [a, { ...b, pid: 999 }]), KEY);
  assert.equal(plans.length, 3, 'another object');
  const history: History = new Map([[KEY, { generation: 1, contentHash: 'c', slots: {} }]]);
  const changed = processObject('web', { replicas: 2 });
  ordersOf(worldOf(changed, [a], history), KEY);
  ordersOf(worldOf(changed, [a], new Map([[KEY, { generation: 1, contentHash: 'c', slots: {} }]])), KEY);
  assert.equal(plans.length, 5, 'another history entry');
});

test('an object with dependencies is planned every time', () => {
  const { plans, plan } = counting();
  const ordersOf = createOrderMemo(plan);
  const object = processObject('web', { dependsOn: [{ key: 'process/db', condition: 'ready' }] });
  const instances = [running(0)];
  ordersOf(worldOf(object, instances), KEY);
  ordersOf(worldOf(object, instances), KEY);
  assert.equal(plans.length, 2);
});
