/**
 * `schedule()` tables: admission, order, aging, reasons, preemption, resume and time slicing.
 * Each case gives a policy, units and `now`, and the whole expected decision.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { schedule } from '../../src/scheduler/schedule.ts';
import type { Decision, SchedulableUnit, SchedulingPolicy } from '../../src/scheduler/types.ts';
import { NOW, applyDecision, policy, running, unit } from './fixtures.ts';

interface Case {
  readonly name: string;
  readonly policy?: Partial<SchedulingPolicy>;
  readonly units: readonly SchedulableUnit[];
  readonly now?: number;
  readonly want: Partial<Decision>;
}

const GI = 2 ** 30;
const none: Decision = { admit: [], resume: [], preempt: [], waiting: [] };

function check(cases: readonly Case[]): void {
  for (const c of cases) {
    void it(c.name, () => {
      const got = schedule({ policy: policy(c.policy), units: c.units, now: c.now ?? NOW });
      assert.deepEqual(got, { ...none, ...c.want });
    });
  }
}

void describe('schedule: admission and reasons', () => {
  check([
    { name: 'nothing to do', units: [], want: {} },
    { name: 'admits what fits', units: [unit('a'), unit('b', { requests: { cpu: 3 } })], want: { admit: ['a', 'b'] } },
    {
      name: 'counts running units against capacity',
      units: [running('r', 0, { requests: { cpu: 3.5 } }), unit('a')],
      want: { waiting: [{ id: 'a', reason: 'Insufficient cpu', insufficient: ['cpu'] }] },
    },
    {
      name: 'fractional cpu sums fit exactly',
      units: [running('r', 0, { requests: { cpu: 3.7 } }), unit('a', { requests: { cpu: 0.1 } }), unit('b', { requests: { cpu: 0.2 } })],
      want: { admit: ['a', 'b'] },
    },
    {
      name: 'names every short resource in capacity order',
      policy: { capacity: { cpu: 4, memory: 8 * GI, licenses: 1 } },
      units: [running('r', 0, { requests: { memory: 7 * GI, licenses: 1 } }), unit('a', { requests: { cpu: 1, memory: 2 * GI, licenses: 1 } })],
      want: { waiting: [{ id: 'a', reason: 'Insufficient memory, licenses', insufficient: ['memory', 'licenses'] }] },
    },
    {
      name: 'ignores resources the capacity does not name',
      units: [unit('a', { requests: { cpu: 1, gpu: 8 } })],
      want: { admit: ['a'] },
    },
    {
      name: 'a request larger than the whole capacity waits',
      units: [unit('a', { requests: { cpu: 5 } })],
      want: { waiting: [{ id: 'a', reason: 'Insufficient cpu', insufficient: ['cpu'] }] },
    },
    {
      name: 'maxConcurrentJobs limits jobs only',
      policy: { maxConcurrentJobs: 1 },
      units: [unit('a'), unit('b', { arrivedAt: 1 }), unit('p', { arrivedAt: 2, countsTowardMaxJobs: false })],
      want: { admit: ['a', 'p'], waiting: [{ id: 'b', reason: 'MaxConcurrentJobs', insufficient: [] }] },
    },
    {
      name: 'both the job limit and a resource',
      policy: { maxConcurrentJobs: 1 },
      units: [running('r', 0, { requests: { cpu: 4 } }), unit('a')],
      want: { waiting: [{ id: 'a', reason: 'Insufficient cpu; MaxConcurrentJobs', insufficient: ['cpu'] }] },
    },
    {
      name: 'units without requests always fit; jobs among them still take a job slot',
      policy: { capacity: { cpu: 1 }, maxConcurrentJobs: 1 },
      units: [running('r', 0, { requests: { cpu: 1 } }), unit('p', { requests: {}, countsTowardMaxJobs: false }), unit('j', { requests: {} })],
      want: { admit: ['p'], waiting: [{ id: 'j', reason: 'MaxConcurrentJobs', insufficient: [] }] },
    },
  ]);
});

void describe('schedule: order and aging', () => {
  check([
    {
      name: 'higher priority first, whatever the arrival',
      policy: { capacity: { cpu: 1 } },
      units: [unit('low', { priority: 10 }), unit('high', { priority: 30, arrivedAt: 5 })],
      want: { admit: ['high'], waiting: [{ id: 'low', reason: 'Insufficient cpu', insufficient: ['cpu'] }] },
    },
    {
      name: 'equal priority: earlier arrival first',
      policy: { capacity: { cpu: 1 } },
      units: [unit('late', { arrivedAt: 9 }), unit('early', { arrivedAt: 3 })],
      want: { admit: ['early'], waiting: [{ id: 'late', reason: 'Insufficient cpu', insufficient: ['cpu'] }] },
    },
    {
      name: 'a unit that does not fit does not block a smaller one behind it',
      policy: { capacity: { cpu: 2 } },
      units: [unit('big', { priority: 30, requests: { cpu: 3 } }), unit('small')],
      want: { admit: ['small'], waiting: [{ id: 'big', reason: 'Insufficient cpu', insufficient: ['cpu'] }] },
    },
    {
      name: 'the first unit that does not fit holds what it lacks; others may use the rest',
      policy: { capacity: { cpu: 4, memory: 8 * GI } },
      units: [
        running('r', 0, { requests: { cpu: 2 } }),
        unit('big', { priority: 30, requests: { cpu: 3 } }),
        unit('small', { priority: 20, requests: { cpu: 1 } }),
        unit('mem-only', { priority: 10, requests: { memory: GI } }),
      ],
      want: {
        admit: ['mem-only'],
        waiting: [
          { id: 'big', reason: 'Insufficient cpu', insufficient: ['cpu'] },
          { id: 'small', reason: 'Insufficient cpu', insufficient: ['cpu'] },
        ],
      },
    },
    {
      name: 'aging lifts a long-waiting low unit above a fresh high one',
      policy: { capacity: { cpu: 1 }, aging: { everyMs: 60_000, boost: 1 } },
      now: 21 * 60_000,
      units: [unit('old-low', { priority: 10, arrivedAt: 0 }), unit('new-high', { priority: 30, arrivedAt: 21 * 60_000 })],
      want: { admit: ['old-low'], waiting: [{ id: 'new-high', reason: 'Insufficient cpu', insufficient: ['cpu'] }], nextWake: 22 * 60_000 },
    },
    {
      name: 'aging not yet enough: wakes at the next step',
      policy: { capacity: { cpu: 1 }, aging: { everyMs: 60_000, boost: 1 } },
      now: 90_000,
      units: [unit('low', { priority: 10, arrivedAt: 0 }), unit('high', { priority: 30, arrivedAt: 50_000 })],
      want: { admit: ['high'], waiting: [{ id: 'low', reason: 'Insufficient cpu', insufficient: ['cpu'] }], nextWake: 120_000 },
    },
    {
      name: 'suspended units queue with their original arrival and resume when capacity returns',
      policy: { capacity: { cpu: 1 } },
      units: [unit('new', { arrivedAt: 50 }), unit('s', { state: 'suspended', arrivedAt: 10, lastRanAt: 40 })],
      want: { resume: ['s'], waiting: [{ id: 'new', reason: 'Insufficient cpu', insufficient: ['cpu'] }] },
    },
  ]);
});

void describe('schedule: preemption', () => {
  const full = { capacity: { cpu: 4 }, preemption: true };
  check([
    {
      name: 'off: a critical unit waits',
      policy: { capacity: { cpu: 1 } },
      units: [running('low', 0, { priority: 10 }), unit('crit', { priority: 40 })],
      want: { waiting: [{ id: 'crit', reason: 'Insufficient cpu', insufficient: ['cpu'] }] },
    },
    {
      name: 'the fewest victims: one big rather than two small, although lower',
      policy: full,
      units: [
        running('low-a', 1, { priority: 0, requests: { cpu: 1 } }),
        running('low-b', 2, { priority: 0, requests: { cpu: 1 } }),
        running('mid', 3, { priority: 10, requests: { cpu: 2 } }),
        unit('crit', { priority: 40, requests: { cpu: 2 } }),
      ],
      want: { admit: ['crit'], preempt: [{ id: 'mid', mode: 'suspend', reason: 'Preempted', by: 'crit' }] },
    },
    {
      name: 'lowest priority first among equally few',
      policy: full,
      units: [running('low', 1, { priority: 10 }), running('bg', 2, { priority: 0 }), running('n', 3), running('n2', 4), unit('crit', { priority: 40 })],
      want: { admit: ['crit'], preempt: [{ id: 'bg', mode: 'suspend', reason: 'Preempted', by: 'crit' }] },
    },
    {
      name: 'then the most recently started',
      policy: full,
      units: [running('old', 100, { priority: 10 }), running('new', 900, { priority: 10 }), running('h1', 1, { priority: 30 }), running('h2', 1, { priority: 30 }), unit('crit', { priority: 40 })],
      want: { admit: ['crit'], preempt: [{ id: 'new', mode: 'suspend', reason: 'Preempted', by: 'crit' }] },
    },
    {
      name: 'requeue mode is passed on',
      policy: full,
      units: [running('low', 1, { priority: 10, requests: { cpu: 4 }, preemption: 'requeue' }), unit('crit', { priority: 40 })],
      want: { admit: ['crit'], preempt: [{ id: 'low', mode: 'requeue', reason: 'Preempted', by: 'crit' }] },
    },
    {
      name: 'no pointless eviction: freeing all lower units would not be enough',
      policy: full,
      units: [running('low', 1, { priority: 10, requests: { cpu: 1 } }), running('keep', 1, { priority: 40, requests: { cpu: 3 } }), unit('crit', { priority: 40, requests: { cpu: 2 } })],
      want: { waiting: [{ id: 'crit', reason: 'Insufficient cpu', insufficient: ['cpu'] }] },
    },
    {
      name: 'never evicts equal or higher priority, nor non-preemptible units',
      policy: full,
      units: [running('eq', 1, { priority: 40, requests: { cpu: 2 } }), running('pinned', 1, { priority: 0, requests: { cpu: 2 }, preemptible: false }), unit('crit', { priority: 40 })],
      want: { waiting: [{ id: 'crit', reason: 'Insufficient cpu', insufficient: ['cpu'] }] },
    },
    {
      name: 'evicts only what is short: a cpu-only victim is useless for memory',
      policy: { capacity: { cpu: 4, memory: 4 * GI }, preemption: true },
      units: [
        running('cpu-hog', 9, { priority: 0, requests: { cpu: 3 } }),
        running('mem-hog', 1, { priority: 10, requests: { cpu: 1, memory: 4 * GI }, preemption: 'requeue' }),
        unit('crit', { priority: 40, requests: { memory: 1 * GI } }),
      ],
      want: { admit: ['crit'], preempt: [{ id: 'mem-hog', mode: 'requeue', reason: 'Preempted', by: 'crit' }] },
    },
    {
      name: 'suspending frees no memory, so it is no way to make room for memory',
      policy: { capacity: { cpu: 4, memory: 4 * GI }, preemption: true },
      units: [running('mem-hog', 1, { priority: 10, requests: { cpu: 1, memory: 4 * GI } }), unit('crit', { priority: 40, requests: { memory: 1 * GI } })],
      want: { waiting: [{ id: 'crit', reason: 'Insufficient memory', insufficient: ['memory'] }] },
    },
    {
      name: 'a suspended unit keeps its memory and resumes on cpu alone',
      policy: { capacity: { cpu: 2, memory: 4 * GI } },
      units: [unit('s', { state: 'suspended', requests: { cpu: 1, memory: 3 * GI } }), unit('p', { arrivedAt: 1, requests: { cpu: 1, memory: 2 * GI } })],
      want: { resume: ['s'], waiting: [{ id: 'p', reason: 'Insufficient memory', insufficient: ['memory'] }] },
    },
    {
      name: 'what an eviction leaves over goes first to the unit holding a reservation',
      policy: { capacity: { cpu: 4 }, preemption: true, aging: { everyMs: 1000, boost: 1 } },
      now: 20_000,
      units: [
        running('a', 0, { priority: 30, requests: { cpu: 3 } }),
        unit('aged', { priority: 25, arrivedAt: 0, requests: { cpu: 3 } }),
        unit('crit', { priority: 40, arrivedAt: 20_000, requests: { cpu: 0.5 } }),
        unit('low', { priority: 0, arrivedAt: 20_000, requests: { cpu: 0.5 } }),
      ],
      want: { admit: ['crit', 'aged', 'low'], preempt: [{ id: 'a', mode: 'suspend', reason: 'Preempted', by: 'crit' }] },
    },
    {
      name: 'a job slot is freed by evicting a lower job',
      policy: { capacity: { cpu: 4 }, maxConcurrentJobs: 1, preemption: true },
      units: [running('low', 1, { priority: 10 }), unit('high', { priority: 30 })],
      want: { admit: ['high'], preempt: [{ id: 'low', mode: 'suspend', reason: 'Preempted', by: 'high' }] },
    },
    {
      name: 'aging orders the queue but never evicts',
      policy: { capacity: { cpu: 1 }, preemption: true, aging: { everyMs: 1000, boost: 1 } },
      now: 50_000,
      units: [running('r', 40_000, { arrivedAt: 40_000 }), unit('aged', { priority: 10, arrivedAt: 0 })],
      want: { waiting: [{ id: 'aged', reason: 'Insufficient cpu', insufficient: ['cpu'] }], nextWake: 51_000 },
    },
    {
      name: 'a unit that aged its way in keeps that priority while running',
      policy: { capacity: { cpu: 1 }, preemption: true, aging: { everyMs: 1000, boost: 1 } },
      now: 50_000,
      units: [running('aged', 30_000, { priority: 10, arrivedAt: 0 }), unit('high', { priority: 30, arrivedAt: 50_000 })],
      want: { waiting: [{ id: 'high', reason: 'Insufficient cpu', insufficient: ['cpu'] }], nextWake: 51_000 },
    },
    {
      name: 'a unit started before it aged much is evicted by a higher base priority',
      policy: { capacity: { cpu: 1 }, preemption: true, aging: { everyMs: 1000, boost: 1 } },
      now: 50_000,
      units: [running('young', 5_000, { priority: 10, arrivedAt: 0 }), unit('high', { priority: 30, arrivedAt: 50_000 })],
      want: { admit: ['high'], preempt: [{ id: 'young', mode: 'suspend', reason: 'Preempted', by: 'high' }] },
    },
  ]);
});

void describe('schedule: time slicing', () => {
  const sliced = { capacity: { cpu: 1 }, timeSliceMs: 1000 };
  check([
    {
      name: 'a whole slice run while an equal unit waits: swap',
      policy: sliced,
      now: 5000,
      units: [running('a', 4000, { arrivedAt: 0 }), unit('b', { arrivedAt: 1 })],
      want: { admit: ['b'], preempt: [{ id: 'a', mode: 'suspend', reason: 'TimeSliceExpired', by: 'b' }] },
    },
    {
      name: 'slice not over yet: wake when it is',
      policy: sliced,
      now: 4500,
      units: [running('a', 4000), unit('b', { arrivedAt: 1 })],
      want: { waiting: [{ id: 'b', reason: 'Insufficient cpu', insufficient: ['cpu'] }], nextWake: 5000 },
    },
    {
      name: 'round-robin: the waiter whose last turn is oldest goes next',
      policy: sliced,
      now: 5000,
      units: [running('c', 4000, { arrivedAt: 2, lastRanAt: 3000 }), unit('a', { state: 'suspended', arrivedAt: 0, lastRanAt: 3000 }), unit('b', { state: 'suspended', arrivedAt: 1, lastRanAt: 2000 })],
      want: { resume: ['b'], preempt: [{ id: 'c', mode: 'suspend', reason: 'TimeSliceExpired', by: 'b' }], waiting: [{ id: 'a', reason: 'Insufficient cpu', insufficient: ['cpu'] }] },
    },
    {
      name: 'no slicing across priorities',
      policy: sliced,
      now: 5000,
      units: [running('a', 0, { priority: 30 }), unit('b')],
      want: { waiting: [{ id: 'b', reason: 'Insufficient cpu', insufficient: ['cpu'] }] },
    },
    {
      name: 'a requeue-mode unit is not sliced',
      policy: sliced,
      now: 5000,
      units: [running('a', 0, { preemption: 'requeue' }), unit('b')],
      want: { waiting: [{ id: 'b', reason: 'Insufficient cpu', insufficient: ['cpu'] }] },
    },
    {
      name: 'a waiter holding a reservation counts what it holds when taking its turn',
      policy: { capacity: { cpu: 2 }, timeSliceMs: 1000 },
      now: 5000,
      units: [running('a', 4000), running('pinned', 0, { requests: { cpu: 0.5 }, preemptible: false }), unit('b', { requests: { cpu: 1.5 } })],
      want: { admit: ['b'], preempt: [{ id: 'a', mode: 'suspend', reason: 'TimeSliceExpired', by: 'b' }] },
    },
    {
      name: 'a non-preemptible unit is not sliced',
      policy: sliced,
      now: 5000,
      units: [running('a', 0, { preemptible: false }), unit('b')],
      want: { waiting: [{ id: 'b', reason: 'Insufficient cpu', insufficient: ['cpu'] }] },
    },
  ]);

  void it('rotates three equal units through one slot', () => {
    let units: SchedulableUnit[] = [unit('a', { arrivedAt: 0 }), unit('b', { arrivedAt: 1 }), unit('c', { arrivedAt: 2 })];
    const order: string[] = [];
    for (let now = 10; now < 10 + 6 * 1000; now += 1000) {
      const d = schedule({ policy: policy(sliced), units, now });
      units = units.map((u) => applyDecision(u, d, now));
      order.push(...d.admit, ...d.resume);
    }
    assert.deepEqual(order, ['a', 'b', 'c', 'a', 'b', 'c']);
  });
});
