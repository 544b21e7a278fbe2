/** The pinned shapes of a lease and of `status.pool` (SPEC §2: add fields freely, rename none). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leaseView, poolStats } from '../../src/controller/pool-views.ts';
import { emptyBook, grantWaiting, observeWorkers, releaseLease, requestLease } from '../../src/planner/lease-book.ts';
import type { PoolPolicy } from '../../src/model/pool.ts';

const T0 = Date.UTC(2026, 0, 1);
const POLICY: PoolPolicy = { minReplicas: 1, maxReplicas: 2, idleTimeoutMs: 1000, maxLeasesPerWorker: 0, leaseTimeoutMs: 60_000, ports: { from: 9100, to: 9101 } };

test('a lease shows its worker with the address of its port, and its expiry', () => {
  let book = observeWorkers(emptyBook(), [{ id: 'render-1', replica: 1, pid: 42, ready: true }], T0).book;
  book = grantWaiting(requestLease(book, 'lease-1', T0), POLICY.leaseTimeoutMs, T0 + 5).book;
  const lease = book.leases.get('lease-1');
  assert.ok(lease);
  assert.deepEqual(leaseView('pool/render', lease, POLICY), {
    id: 'lease-1',
    pool: 'pool/render',
    state: 'active',
    worker: { id: 'render-1', pid: 42, address: '127.0.0.1:9101' },
    port: 9101,
    grantedAt: new Date(T0 + 5).toISOString(),
    expiresAt: new Date(T0 + 60_005).toISOString(),
    reason: null,
    message: null,
  });
  const { ports: _ports, ...withoutPorts } = POLICY;
  assert.equal(leaseView('pool/render', lease, withoutPorts).worker?.address, null);
});

test('status.pool carries counts, utilization and wait and hold percentiles', () => {
  let book = observeWorkers(emptyBook(), [{ id: 'w-0', replica: 0, pid: 1, ready: true }, { id: 'w-1', replica: 1, pid: 2, ready: true }], T0).book;
  book = grantWaiting(requestLease(requestLease(book, 'a', T0), 'b', T0), 60_000, T0 + 10).book;
  book = releaseLease(book, 'a', 0, T0 + 110).book;
  assert.deepEqual(poolStats(book, 2, 'LeaseDemand'), {
    workers: 2,
    ready: 2,
    busy: 1,
    waiting: 0,
    utilization: 0.5,
    leases: { granted: 2, released: 1, expired: 0, failed: 0, active: 1 },
    waitMs: { p50: 10, p99: 10 },
    leaseDurationMs: { p50: 100, p99: 100 },
    workersCreated: 2,
    workersReaped: 0,
    workersRecycled: 0,
    desiredReplicas: 2,
    lastScaleReason: 'LeaseDemand',
  });
});
