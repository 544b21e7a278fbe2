/**
 * The pool planner with a fake clock: demand growth, idle reaping, the HPA rule with its
 * tolerance and stabilization windows, and the maxReplicas bound (also as a property: for
 * arbitrary books and usage the decision stays within [min, max]; seed logged by fast-check).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { emptyBook, grantWaiting, observeWorkers, requestLease, type LeaseBook } from '../../src/planner/lease-book.ts';
import { decideReplicas, hpaReplicas, stabilize, type PoolScaleInput } from '../../src/planner/pool.ts';
import type { PoolPolicy } from '../../src/model/pool.ts';

const T0 = 1_700_000_000_000;
const POLICY: PoolPolicy = { minReplicas: 1, maxReplicas: 4, idleTimeoutMs: 30_000, maxLeasesPerWorker: 0, leaseTimeoutMs: 60_000 };
const AUTOSCALE: PoolPolicy = { ...POLICY, maxReplicas: 10, idleTimeoutMs: 600_000, autoscale: { metric: 'cpu', target: 50, stabilizationUpMs: 0, stabilizationDownMs: 60_000 } };

const workers = (n: number, at = T0, ready = true): LeaseBook =>
  observeWorkers(emptyBook(), Array.from({ length: n }, (_, i) => ({ id: `render-${i}`, replica: i, pid: 100 + i, ready })), at).book;
const leaseAll = (book: LeaseBook, n: number, at = T0): LeaseBook => {
  let b = book;
  for (let i = 0; i < n; i++) b = requestLease(b, `l${i}`, at);
  return grantWaiting(b, 60_000, at).book;
};
const waiting = (book: LeaseBook, n: number, at = T0): LeaseBook => {
  let b = book;
  for (let i = 0; i < n; i++) b = requestLease(b, `w${i}`, at);
  return b;
};
const decide = (over: Partial<PoolScaleInput> & { book: LeaseBook; current: number }) =>
  decideReplicas({ policy: POLICY, recommendations: [], now: T0, ...over });

void describe('pool planner: demand and idleness', () => {
  void it('grows by the shortfall when requests wait and no worker is free', () => {
    const book = waiting(leaseAll(workers(2), 2), 1);
    const d = decide({ book, current: 2 });
    assert.equal(d.replicas, 3);
    assert.equal(d.reason, 'LeaseDemand');
  });

  void it('does not grow while a free or starting slot can serve the request', () => {
    const book = waiting(leaseAll(workers(2), 1), 1);
    assert.equal(decide({ book, current: 2 }).reason, undefined);
    const starting = waiting(leaseAll(workers(2), 2), 1);
    assert.equal(decide({ book: starting, current: 3 }).replicas, 3, 'slot 2 is being started');
  });

  void it('never grows past maxReplicas', () => {
    const book = waiting(leaseAll(workers(4), 4), 50);
    assert.equal(decide({ book, current: 4 }).replicas, 4);
    assert.equal(decide({ book: waiting(workers(0), 50), current: 1 }).replicas, 4);
  });

  void it('reaps the idle top workers after idleTimeout, down to minReplicas', () => {
    const book = workers(3);
    assert.equal(decide({ book, current: 3, now: T0 + 29_999 }).reason, undefined);
    const d = decide({ book, current: 3, now: T0 + 30_000 });
    assert.deepEqual([d.replicas, d.reason, d.reaped], [1, 'IdleTimeout', ['render-2', 'render-1']]);
  });

  void it('keeps a leased top worker and the ones below it', () => {
    let book = workers(3);
    book = grantWaiting(requestLease(requestLease(book, 'x', T0), 'y', T0), 60_000, T0).book;
    book = grantWaiting(requestLease(book, 'z', T0), 60_000, T0).book;
    const released = observeWorkers(book, [...book.workers.values()], T0).book;
    assert.equal(decide({ book: released, current: 3, now: T0 + 60_000 }).replicas, 3);
  });

  void it('does not reap while requests wait', () => {
    const book = waiting(workers(3, T0, false), 1);
    assert.equal(decide({ book, current: 3, now: T0 + 99_000 }).replicas, 3);
  });
});

void describe('pool planner: autoscale', () => {
  void it('applies ceil(current x usage / target) outside the 10 % tolerance', () => {
    assert.equal(hpaReplicas(4, 90, 60), 6);
    assert.equal(hpaReplicas(4, 65, 60), 4, 'within tolerance');
    assert.equal(hpaReplicas(4, 54.1, 60), 4, 'within tolerance below');
    assert.equal(hpaReplicas(4, 20, 60), 2);
  });

  void it('grows on CPU beyond lease demand, capped at maxReplicas', () => {
    const d = decideReplicas({ policy: AUTOSCALE, current: 2, book: workers(2), usage: 100, recommendations: [], now: T0 });
    assert.deepEqual([d.replicas, d.reason], [4, 'CpuAboveTarget']);
    const capped = decideReplicas({ policy: AUTOSCALE, current: 8, book: workers(8), usage: 500, recommendations: [], now: T0 });
    assert.equal(capped.replicas, 10);
  });

  void it('shrinks only after the down stabilization window, and only idle top workers', () => {
    let recs = decideReplicas({ policy: AUTOSCALE, current: 4, book: workers(4), usage: 50, recommendations: [], now: T0 }).recommendations;
    const early = decideReplicas({ policy: AUTOSCALE, current: 4, book: workers(4), usage: 10, recommendations: recs, now: T0 + 59_000 });
    assert.equal(early.replicas, 4, 'a recommendation of 4 is inside the window');
    recs = early.recommendations;
    const late = decideReplicas({ policy: AUTOSCALE, current: 4, book: workers(4), usage: 10, recommendations: recs, now: T0 + 61_000 });
    assert.deepEqual([late.replicas, late.reason], [1, 'CpuBelowTarget']);
    const leasedTop = leaseAll(workers(4), 4);
    assert.equal(decideReplicas({ policy: AUTOSCALE, current: 4, book: leasedTop, usage: 10, recommendations: recs, now: T0 + 61_000 }).replicas, 4);
  });

  void it('stabilizes growth to the lowest recommendation of the up window', () => {
    const recs = [{ at: T0, replicas: 3 }, { at: T0 + 5_000, replicas: 6 }];
    assert.equal(stabilize(recs, 2, T0 + 5_000, 10_000, 0), 3);
    assert.equal(stabilize(recs, 2, T0 + 5_000, 0, 0), 6);
    assert.equal(stabilize([{ at: T0, replicas: 4 }, { at: T0 + 1, replicas: 1 }], 4, T0 + 1, 0, 60_000), 4);
  });

  void it('never leaves [minReplicas, maxReplicas] (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 60 }),
      fc.option(fc.double({ min: 0, max: 1000, noNaN: true })), fc.integer({ min: 0, max: 200_000 }),
      (n, leased, wait, usage, later) => {
        const book = waiting(leaseAll(workers(n), Math.min(n, leased)), wait);
        const d = decideReplicas({ policy: AUTOSCALE, current: Math.max(1, n), book, recommendations: [], now: T0 + later, ...(usage === null ? {} : { usage }) });
        return d.replicas >= AUTOSCALE.minReplicas && d.replicas <= AUTOSCALE.maxReplicas;
      },
    ));
  });
});
