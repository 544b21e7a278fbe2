import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InstanceTable } from '../../src/executor/local/instance-table.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';

const instance = (id: string, replica: number, state: ObservedInstance['state'], extra: Partial<ObservedInstance> = {}): ObservedInstance => ({
  id, object: 'process/web', replica, pid: 100 + replica, startTicks: 1, specHash: 'h', generation: 1, startedAt: 0, state, ...extra,
});

test('put replaces an instance in its place; observed() is the same map until something changes', () => {
  const table = new InstanceTable();
  table.put(instance('web-0', 0, 'running'));
  table.put(instance('web-1', 1, 'running'));
  const before = table.observed();
  assert.equal(table.observed(), before);
  table.put(instance('web-0', 0, 'stopping'));
  const after = table.observed();
  assert.notEqual(after, before);
  assert.deepEqual(after.get('process/web')?.map((i) => `${i.id}:${i.state}`), ['web-0:stopping', 'web-1:running']);
  assert.deepEqual(before.get('process/web')?.map((i) => i.state), ['running', 'running'], 'a list handed out never changes');
});

test('removeExited forgets only the exited instances of the same slot and kind', () => {
  const table = new InstanceTable();
  table.put(instance('web-0-old', 0, 'exited'));
  table.put(instance('web-0-fb', 0, 'exited', { fallback: true }));
  table.put(instance('web-1-old', 1, 'exited'));
  table.put(instance('web-0', 0, 'running'));
  const removed = table.removeExited('process/web', { id: 'web-0', replica: 0 });
  assert.deepEqual(removed.map((i) => i.id), ['web-0-old']);
  assert.deepEqual(table.observed().get('process/web')?.map((i) => i.id), ['web-0-fb', 'web-0', 'web-1-old']);
  table.put(instance('web-1-old', 1, 'running'));
  assert.deepEqual(table.removeExited('process/web', { id: 'web-1', replica: 1 }), [], 'a restarted instance is no longer exited');
  table.remove('process/web', 'web-0-fb');
  table.remove('process/web', 'web-1-old');
  table.remove('process/web', 'web-0');
  assert.equal(table.observed().has('process/web'), false);
  assert.deepEqual(table.all(), []);
});

test('lists are in replica order whatever order the instances were recorded in', () => {
  const table = new InstanceTable();
  table.put(instance('web-2', 2, 'running'));
  table.put(instance('web-0', 0, 'running'));
  table.put(instance('web-1', 1, 'running'));
  table.put(instance('web-0-fb', 0, 'running', { fallback: true }));
  assert.deepEqual(table.observed().get('process/web')?.map((i) => i.id), ['web-0', 'web-0-fb', 'web-1', 'web-2']);
});
