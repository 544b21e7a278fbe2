import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cancelRequest, emptyBook, expireLeases, grantWaiting, isIdle, keepReaping, markReaped, observeWorkers, percentile, releaseLease, requestLease,
  type LeaseBook, type WorkerObservation,
} from '../../src/planner/lease-book.ts';

const T0 = 1_700_000_000_000;
const worker = (replica: number, pid = 100 + replica, ready = true): WorkerObservation => ({ id: `render-${replica}`, replica, pid, ready });
const withWorkers = (n: number, now = T0): LeaseBook => observeWorkers(emptyBook(), Array.from({ length: n }, (_, i) => worker(i)), now).book;
const request = (book: LeaseBook, ...ids: string[]): LeaseBook => ids.reduce((b, id, i) => requestLease(b, id, T0 + i), book);

void describe('lease book', () => {
  void it('grants waiting requests in arrival order, lowest worker first, one worker each', () => {
    const { book, granted } = grantWaiting(request(withWorkers(2), 'a', 'b', 'c'), 60_000, T0 + 10);
    assert.deepEqual(granted.map((l) => [l.id, l.worker?.id]), [['a', 'render-0'], ['b', 'render-1']]);
    assert.deepEqual(book.waiting, ['c']);
    assert.equal(book.leases.get('a')?.expiresAt, T0 + 10 + 60_000);
    const again = grantWaiting(book, 60_000, T0 + 20);
    assert.deepEqual(again.granted, [], 'no worker is free');
    const released = releaseLease(again.book, 'b', 0, T0 + 30);
    assert.equal(released.lease?.state, 'released');
    const third = grantWaiting(released.book, 60_000, T0 + 31);
    assert.deepEqual(third.granted.map((l) => [l.id, l.worker?.id]), [['c', 'render-1']]);
    assert.equal(third.book.counters.granted, 3);
    assert.deepEqual(third.book.counters.waitMs, [10, 9, 29]);
  });

  void it('hands out only Ready workers', () => {
    const book = observeWorkers(emptyBook(), [worker(0, 100, false), worker(1)], T0).book;
    const { granted } = grantWaiting(request(book, 'a', 'b'), 1000, T0);
    assert.deepEqual(granted.map((l) => l.worker?.id), ['render-1']);
  });

  void it('expires a lease at its timeout and marks its worker for recycling', () => {
    const { book } = grantWaiting(request(withWorkers(1), 'a'), 5_000, T0);
    assert.deepEqual(expireLeases(book, T0 + 4_999).expired, []);
    const { book: after, expired } = expireLeases(book, T0 + 5_000);
    assert.deepEqual(expired.map((l) => [l.id, l.state, l.reason]), [['a', 'expired', 'LeaseExpired']]);
    assert.deepEqual(after.recycle, [100]);
    assert.equal(after.counters.expired, 1);
    assert.equal(after.counters.workersRecycled, 1);
    assert.deepEqual(grantWaiting(requestLease(after, 'b', T0 + 5_001), 5_000, T0 + 5_001).granted, [], 'a recycling worker is not leasable');
    assert.equal(releaseLease(after, 'a', 0, T0 + 6_000).lease?.state, 'expired', 'a release after expiry tells so');
  });

  void it('recycles a worker after maxLeasesPerWorker leases, and forgets the mark once its process is gone', () => {
    let book = withWorkers(1);
    for (const id of ['a', 'b']) {
      book = grantWaiting(requestLease(book, id, T0), 1000, T0).book;
      const released = releaseLease(book, id, 2, T0 + 1);
      book = released.book;
      assert.equal(released.recycled, id === 'b');
    }
    assert.deepEqual(book.recycle, [100]);
    book = observeWorkers(book, [worker(0, 200)], T0 + 2).book;
    assert.deepEqual(book.recycle, []);
    assert.equal(book.workers.get('render-0')?.served, 0);
    assert.equal(book.counters.workersCreated, 2);
  });

  void it('fails the lease of a worker that died or was replaced', () => {
    const { book } = grantWaiting(request(withWorkers(2), 'a', 'b'), 1000, T0);
    const { book: after, failed } = observeWorkers(book, [worker(0), worker(1, 555)], T0 + 5);
    assert.deepEqual(failed.map((l) => [l.id, l.state, l.reason]), [['b', 'failed', 'WorkerDied']]);
    assert.equal(after.leases.get('a')?.state, 'active');
    assert.equal(after.counters.failed, 1);
    assert.equal(releaseLease(after, 'b', 0, T0 + 6).lease?.reason, 'WorkerDied');
  });

  void it('drops a cancelled request from the queue', () => {
    const book = cancelRequest(request(withWorkers(0), 'a', 'b'), 'a', T0 + 1);
    assert.deepEqual(book.waiting, ['b']);
    assert.equal(book.leases.get('a')?.state, 'cancelled');
  });

  void it('a reaped worker is not leasable, and is again once the pool grows back over its slot', () => {
    const book = markReaped(withWorkers(3), ['render-2']);
    const top = book.workers.get('render-2');
    assert.ok(top && !isIdle(book, top));
    assert.equal(book.counters.workersReaped, 1);
    assert.deepEqual(keepReaping(book, 2).reaping, ['render-2']);
    const grown = keepReaping(book, 3);
    assert.deepEqual(grown.reaping, []);
    assert.ok(isIdle(grown, top));
  });

  void it('computes nearest-rank percentiles', () => {
    assert.equal(percentile([], 0.5), 0);
    assert.equal(percentile([5, 1, 3, 2, 4], 0.5), 3);
    assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 0.99), 99);
  });
});
