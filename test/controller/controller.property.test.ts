/**
 * Model-based property test of the controller (fast-check), with the dry-run executor and a
 * fake clock. Random runs of: manifest loads (objects come and go, replicas and programs
 * change), instances exiting on their own, operator stop/start, and time passing.
 *
 * Invariants, checked after every run once the controller has settled and backoff has passed:
 *  1. every desired, not operator-stopped object runs exactly `replicas` instances, in slots
 *     0..replicas-1, all on the current program (specHash);
 *  2. nothing runs for an object that is gone from the manifests or operator-stopped;
 *  3. a no-change pass afterwards applies nothing.
 * The seed is printed by fast-check on failure; rerun with it to reproduce.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createController } from '../../src/controller/controller.ts';
import type { FileOutcome } from '../../src/controller/desired.ts';
import { createDryRunExecutor } from '../../src/executor/dry-run.ts';
import { processObject } from '../planner/fixtures.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';

const NAMES = ['a', 'b', 'c'] as const;

interface Desired {
  readonly replicas: number;
  readonly program: number;
}

type Step =
  | { readonly kind: 'load'; readonly objects: Partial<Record<(typeof NAMES)[number], Desired>> }
  | { readonly kind: 'exit'; readonly name: (typeof NAMES)[number]; readonly replica: number; readonly code: number }
  | { readonly kind: 'operate'; readonly name: (typeof NAMES)[number]; readonly verb: 'stop' | 'start' }
  | { readonly kind: 'time'; readonly ms: number };

const desiredArb = fc.record({ replicas: fc.integer({ min: 0, max: 3 }), program: fc.integer({ min: 0, max: 2 }) });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('load' as const), objects: fc.record({ a: desiredArb, b: desiredArb, c: desiredArb }, { requiredKeys: [] }) }),
  fc.record({ kind: fc.constant('exit' as const), name: fc.constantFrom(...NAMES), replica: fc.integer({ min: 0, max: 2 }), code: fc.constantFrom(0, 1) }),
  fc.record({ kind: fc.constant('operate' as const), name: fc.constantFrom(...NAMES), verb: fc.constantFrom('stop' as const, 'start' as const) }),
  fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 5000 }) }),
);

function filesOf(objects: Step & { kind: 'load' }): FileOutcome[] {
  return Object.entries(objects.objects).map(([name, d]) => {
    const base = processObject(name, { replicas: d.replicas, command: ['prog', String(d.program)] }, `h${d.program}`);
    const object = { ...base, contentHash: `c-${d.replicas}-${d.program}` };
    return { file: `${name}.yaml`, ok: true, empty: false, objects: [object] };
  });
}

test('the controller converges to the manifests whatever happens in between', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 25 }), async (steps) => {
      const clock = createFakeClock();
      const executor = createDryRunExecutor(undefined, clock);
      const controller = createController({ executor, clock, events: { record: () => undefined }, pruneGraceMs: 0 });
      const settle = async (): Promise<void> => {
        for (let i = 0; i < 4; i++) {
          await new Promise((resolve) => setImmediate(resolve));
          await controller.idle();
        }
      };
      let last: Step & { kind: 'load' } = { kind: 'load', objects: {} };
      const stopped = new Set<string>();
      for (const step of steps) {
        if (step.kind === 'load') {
          // A changed (or removed) manifest ends an operator stop, as `tend stop` documents.
          for (const name of NAMES) if (JSON.stringify(step.objects[name]) !== JSON.stringify(last.objects[name])) stopped.delete(name);
          last = step;
          controller.applyLoad(filesOf(step), 'r');
        } else if (step.kind === 'exit') executor.exit(`process/${step.name}`, `${step.name}-${step.replica}`, { code: step.code, signal: null });
        else if (step.kind === 'operate') {
          if (controller.operate(`process/${step.name}`, step.verb)) {
            if (step.verb === 'stop') stopped.add(step.name);
            else stopped.delete(step.name);
          }
        } else clock.advance(step.ms);
        await settle();
      }
      // Let every backoff run out (exponential from 1 s, at most a few attempts here).
      for (let i = 0; i < 12; i++) {
        clock.advance(60_000);
        await settle();
      }
      const observed = await executor.observe();
      for (const name of NAMES) {
        const d: Desired | undefined = last.objects[name];
        const live = (observed.get(`process/${name}`) ?? []).filter((i) => i.state !== 'exited');
        if (!d || stopped.has(name)) {
          assert.deepEqual(live.map((i) => i.id), [], `${name} runs nothing`);
          continue;
        }
        assert.deepEqual(live.map((i) => i.replica).sort(), [...Array(d.replicas).keys()], `${name} runs its replicas`);
        assert.ok(live.every((i) => i.specHash === `h${d.program}`), `${name} runs the current program`);
      }
      const before = executor.applied.length;
      await controller.enqueueAll();
      await settle();
      assert.equal(executor.applied.filter((a) => a.type !== 'wait').length, executor.applied.slice(0, before).filter((a) => a.type !== 'wait').length, 'a no-change pass applies nothing');
      controller.close();
    }),
    { numRuns: 150 },
  );
});
