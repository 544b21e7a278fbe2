/**
 * The alert state machine: Warning at warnAt × limit, Critical at the limit, each left only
 * below 0.9 × its threshold. Property (fast-check, seed logged on failure): a figure that
 * oscillates within the hysteresis band of a threshold raises that level at most once and never
 * resolves it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { alertLevel, nextAlerts, RESOLVE_RATIO, type AlertState } from '../../src/planner/alerts.ts';

void describe('alerts: levels', () => {
  const table: readonly [string, Parameters<typeof alertLevel>[0], number, ReturnType<typeof alertLevel>][] = [
    ['below the warning threshold', undefined, 79, undefined],
    ['at the warning threshold', undefined, 80, 'warning'],
    ['at the limit', undefined, 100, 'critical'],
    ['a warning holds above 0.9 × the threshold', 'warning', 72.1, 'warning'],
    ['a warning resolves below 0.9 × the threshold', 'warning', 71.9, undefined],
    ['a critical holds above 0.9 × the limit', 'critical', 90, 'critical'],
    ['a critical steps down to warning below 0.9 × the limit', 'critical', 89, 'warning'],
    ['a critical resolves below 0.9 × the warning threshold', 'critical', 50, undefined],
  ];
  for (const [name, previous, value, expected] of table) {
    void it(name, () => assert.equal(alertLevel(previous, value, 100, 0.8), expected));
  }
});

void describe('alerts: changes', () => {
  void it('raises, escalates and resolves with one change each; keeps alerts while a window fills', () => {
    const limits = { memory: 100 };
    let state: AlertState = {};
    const reasons: string[] = [];
    for (const [value, now] of [[85, 1], [86, 2], [100, 3], [95, 4], [60, 5]] as const) {
      const r = nextAlerts(limits, 0.8, { figures: { memory: value } }, state, now);
      state = r.alerts;
      reasons.push(...r.changes.map((c) => `${c.reason}:${c.severity ?? '-'}`));
      if (now === 3) assert.deepEqual(state.memory, { resource: 'memory', severity: 'critical', value: 100, limit: 100, since: 1 });
    }
    assert.deepEqual(reasons, ['MemoryHigh:warning', 'MemoryHigh:critical', 'AlertResolved:-']);
    const open = nextAlerts({ cpu: 1 }, 0.8, { figures: { cpu: 0.9 } }, {}, 1).alerts;
    assert.deepEqual(nextAlerts({ cpu: 1 }, 0.8, { figures: {} }, open, 2), { alerts: open, changes: [] });
  });

  void it('a noisy rate holds its alert while the window\'s peak stays above the resolve point', () => {
    const open = nextAlerts({ cpu: 1 }, 0.6, { figures: { cpu: 0.65 }, peaks: { cpu: 0.7 } }, {}, 1).alerts;
    assert.deepEqual(nextAlerts({ cpu: 1 }, 0.6, { figures: { cpu: 0.2 }, peaks: { cpu: 0.6 } }, open, 2).changes, []);
    assert.deepEqual(nextAlerts({ cpu: 1 }, 0.6, { figures: { cpu: 0.2 }, peaks: { cpu: 0.5 } }, open, 3).changes.map((c) => c.reason), ['AlertResolved']);
  });

  void it('a critical alert carries its severity', () => {
    const { changes } = nextAlerts({ fds: 10 }, 0.8, { figures: { fds: 10 } }, {}, 0);
    assert.deepEqual(changes.map((c) => [c.reason, c.severity, c.message]), [['FdsHigh', 'critical', 'fds 10 reached the limit 10']]);
  });

  void it('property: oscillating within the hysteresis band raises each level at most once and never resolves', () => {
    const band = fc.record({
      limit: fc.integer({ min: 10, max: 1_000_000 }),
      warnAt: fc.double({ min: 0.5, max: 1, noNaN: true }),
      onLimit: fc.boolean(),
      fractions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 50 }),
    });
    fc.assert(
      fc.property(band, ({ limit, warnAt, onLimit, fractions }) => {
        const threshold = onLimit ? limit : warnAt * limit;
        // From just above the resolve point to the threshold's top: the limit for a warning.
        const low = RESOLVE_RATIO * threshold + 1e-6 * limit;
        const high = onLimit ? 1.2 * limit : Math.max(low, limit - 1e-6 * limit);
        let state: AlertState = {};
        const raised: string[] = [];
        let resolved = 0;
        for (const [i, f] of fractions.entries()) {
          const r = nextAlerts({ memory: limit }, warnAt, { figures: { memory: low + f * (high - low) } }, state, i);
          state = r.alerts;
          for (const c of r.changes) {
            if (c.reason === 'AlertResolved') resolved++;
            else raised.push(c.severity ?? '');
          }
        }
        const own = onLimit ? 'critical' : 'warning';
        return resolved === 0 && raised.filter((r) => r === own).length <= 1;
      }),
      { verbose: true },
    );
  });
});
