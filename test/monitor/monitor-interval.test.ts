/** The sampling interval from the desired state's Node object. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { DesiredState, ManifestObject } from '../../src/model/object.ts';
import { monitorIntervalOf } from '../../src/monitor/monitor-interval.ts';

function desired(nodeSpec?: Record<string, unknown>): DesiredState {
  const objects = new Map<string, ManifestObject>();
  if (nodeSpec) {
    const source = { file: 'node.yaml', line: 1, col: 1, uid: 0, gid: 0 };
    objects.set('node/local', { kind: 'Node', name: 'local', key: 'node/local', labels: {}, source, spec: nodeSpec, specHash: 'a', contentHash: 'b' });
  }
  return { objects, revision: 'r' };
}

void it('is 1 s without a Node object, or when it leaves the interval out', () => {
  assert.equal(monitorIntervalOf(desired()), 1000);
  assert.equal(monitorIntervalOf(desired({ capacity: { cpu: 2 } })), 1000);
  assert.equal(monitorIntervalOf(desired({ monitor: {} })), 1000);
});

void it('follows spec.monitor.interval; 0s turns sampling off', () => {
  assert.equal(monitorIntervalOf(desired({ monitor: { interval: '250ms' } })), 250);
  assert.equal(monitorIntervalOf(desired({ monitor: { interval: '0s' } })), 0);
});
