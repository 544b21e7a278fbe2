import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { POOL_DEFAULTS } from '../../src/manifest/normalize-pool.ts';
import { isProcessObject, type ManifestObject, type ProcessObject } from '../../src/model/object.ts';
import { check, lines } from './fixtures.ts';

const poolDoc = (specLines: readonly string[]): string =>
  ['apiVersion: tend/v1', 'kind: ProcessPool', 'metadata: {name: render}', 'spec:', ...specLines.map((l) => `  ${l}`), ''].join('\n');

const poolOf = (specLines: readonly string[]): ProcessObject => {
  const result = check(poolDoc(specLines));
  assert.deepEqual(lines(result), []);
  const object: ManifestObject | undefined = result.objects[0];
  assert.ok(object && isProcessObject(object), 'expected a runnable pool');
  return object;
};

void describe('ProcessPool normalisation', () => {
  void it('normalises the template as a Process spec starting at minReplicas, with the pool defaults', () => {
    const pool = poolOf(['template: {command: [python3, worker.py], restartPolicy: OnFailure}', 'minReplicas: 2']);
    assert.equal(pool.kind, 'ProcessPool');
    assert.equal(pool.key, 'pool/render');
    assert.equal(pool.spec.replicas, 2);
    assert.equal(pool.spec.restartPolicy, 'OnFailure');
    assert.deepEqual(pool.spec.command, ['python3', 'worker.py']);
    assert.deepEqual(pool.pool, {
      minReplicas: 2,
      maxReplicas: POOL_DEFAULTS.maxReplicas,
      idleTimeoutMs: POOL_DEFAULTS.idleTimeoutMs,
      maxLeasesPerWorker: POOL_DEFAULTS.maxLeasesPerWorker,
      leaseTimeoutMs: POOL_DEFAULTS.leaseTimeoutMs,
    });
  });

  void it('reads autoscale, ports and durations', () => {
    const pool = poolOf([
      'template: {command: [w]}',
      'maxReplicas: 3',
      'idleTimeout: 2s',
      'leaseTimeout: 1m',
      'maxLeasesPerWorker: 5',
      'ports: {from: 9000, to: 9002}',
      'autoscale: {target: 50, stabilization: {down: 10s}}',
    ]);
    assert.deepEqual(pool.pool?.autoscale, { metric: 'cpu', target: 50, stabilizationUpMs: 0, stabilizationDownMs: 10_000 });
    assert.deepEqual(pool.pool?.ports, { from: 9000, to: 9002 });
    assert.deepEqual(pool.spec.ports, { from: 9000, to: 9002 });
    assert.equal(pool.pool?.idleTimeoutMs, 2_000);
    assert.equal(pool.pool?.leaseTimeoutMs, 60_000);
    assert.equal(pool.pool?.maxLeasesPerWorker, 5);
  });

  void it('changes the program hash with the ports, not with the pool sizes', () => {
    const a = poolOf(['template: {command: [w]}', 'maxReplicas: 3', 'ports: {from: 9000, to: 9002}']);
    const b = poolOf(['template: {command: [w]}', 'maxReplicas: 2', 'ports: {from: 9000, to: 9002}']);
    const c = poolOf(['template: {command: [w]}', 'maxReplicas: 3', 'ports: {from: 9100, to: 9102}']);
    assert.equal(a.specHash, b.specHash);
    assert.notEqual(a.specHash, c.specHash);
    assert.notEqual(a.contentHash, b.contentHash);
  });

  void it('refuses a port range smaller than maxReplicas', () => {
    const result = check(poolDoc(['template: {command: [w]}', 'maxReplicas: 4', 'ports: {from: 9000, to: 9001}']));
    assert.equal(result.ok, false);
    assert.match(lines(result).join('\n'), /ManifestInvalid|must hold maxReplicas \(4\) ports/);
  });
});
