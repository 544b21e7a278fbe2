/** The young generation may grow once the desired state is large: counted from objects and instances. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredState, ManifestObject } from '../../src/model/object.ts';
import { growthFactorFor, LARGE_STATE, stateSizeOf } from '../../src/platform/young-generation.ts';

function desired(objects: readonly { kind: string; replicas?: number }[]): DesiredState {
  const map = new Map(objects.map((o, i) => [`x/o${i}`, { kind: o.kind, key: `x/o${i}`, spec: { replicas: o.replicas ?? 0 } } as unknown as ManifestObject]));
  return { objects: map, revision: 'r' };
}

test('counts objects and the instances Processes ask for', () => {
  assert.equal(stateSizeOf(desired([{ kind: 'Process', replicas: 3 }, { kind: 'Job' }, { kind: 'Process', replicas: 1 }])), 7);
  assert.equal(stateSizeOf(desired([{ kind: 'Node' }])), 1, 'a kind without instances counts once');
  assert.ok(stateSizeOf(desired([{ kind: 'Process', replicas: 10_000 }])) >= LARGE_STATE, 'one object of many replicas is large');
});

test('lets the young generation grow from LARGE_STATE on, and holds it below', () => {
  assert.equal(growthFactorFor(LARGE_STATE - 1), 1);
  assert.equal(growthFactorFor(LARGE_STATE), 2);
  assert.equal(growthFactorFor(0), 1);
  const many = Array.from({ length: LARGE_STATE }, () => ({ kind: 'Process', replicas: 0 }));
  assert.equal(growthFactorFor(stateSizeOf(desired(many))), 2, 'a thousand files of one program each');
});
