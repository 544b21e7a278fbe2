/**
 * One Process object (`process/web`) under a real controller, with the dry-run executor and a
 * fake clock: crash instances, move time, operate, restart the controller, and read back what
 * `tend get` would show (phases per instance, the circuit, the slot's history).
 */
import { createController, type Controller, type OperatorVerb } from '../../src/controller/controller.ts';
import { buildStatus, type InstanceView } from '../../src/controller/status.ts';
import { createDryRunExecutor } from '../../src/executor/dry-run.ts';
import type { TendEvent } from '../../src/model/event.ts';
import type { ProcessSpec } from '../../src/model/object.ts';
import { createFakeClock } from './fake-clock.ts';
import { processObject } from '../planner/fixtures.ts';

/** The key of the object every slot world runs. */
export const WEB = 'process/web';

/** A fallback program for `recovery: {strategy: fallback}`. */
export const FALLBACK_PROGRAM = { command: ['fallback'], shell: false, workingDir: '/srv', env: {}, secretEnv: [], hash: 'h-fb' } as const;

/** Creates the world with `spec` (replicas 1 unless given) loaded and settled. */
export async function createSlotWorld(spec: Partial<ProcessSpec>) {
  const clock = createFakeClock(0);
  const executor = createDryRunExecutor(undefined, clock);
  const events: TendEvent[] = [];
  let object = processObject('web', { replicas: 1, ...spec });
  const start = (history?: ReturnType<Controller['history']>): Controller => {
    const c = createController({ executor, clock, events: { record: (e) => events.push({ time: String(clock.now()), ...e }) }, pruneGraceMs: 0, ...(history ? { history } : {}) });
    c.applyLoad([{ file: 'web.yaml', ok: true, empty: false, objects: [object] }], 'r');
    return c;
  };
  let controller = start();
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await controller.idle();
    }
  };
  const instances = async () => (await executor.observe()).get(WEB) ?? [];
  const views = async (): Promise<readonly InstanceView[]> => {
    const plan = await controller.plan();
    const status = buildStatus({ desired: controller.desired(), observed: await executor.observe(), history: controller.history(), plan, now: clock.now() });
    return status.find((v) => v.key === WEB)?.instances ?? [];
  };
  const world = {
    clock,
    executor,
    events,
    get controller() {
      return controller;
    },
    settle,
    instances,
    /** `id:phase` of every instance, as `tend get` shows them. */
    async phases(): Promise<string[]> {
      return (await views()).map((v) => `${v.id}:${v.phase}`);
    },
    /** The live (running or stopping) primary of slot 0, if any. */
    async live() {
      return (await instances()).find((i) => !i.fallback && i.state !== 'exited');
    },
    /** The live primary `id` (default: slot 0's) exits on its own with `code`. */
    async crash(code = 1, id?: string): Promise<void> {
      const victim = id === undefined ? await world.live() : (await instances()).find((i) => i.id === id && i.state !== 'exited');
      if (victim) executor.exit(WEB, victim.id, { code, signal: null });
      await settle();
    },
    async advance(ms: number): Promise<void> {
      clock.advance(ms);
      await settle();
    },
    async operate(verb: OperatorVerb): Promise<void> {
      controller.operate(WEB, verb);
      await settle();
    },
    /** A manifest edit that changes the object but not its program (a new generation). */
    async relabel(): Promise<void> {
      object = { ...object, labels: { edited: String(clock.now()) }, contentHash: `c-${clock.now()}` };
      controller.applyLoad([{ file: 'web.yaml', ok: true, empty: false, objects: [object] }], 'r2');
      await settle();
    },
    /** A new revision of the program: `spec` (over the first one) under spec hash `specHash`. */
    async update(patch: Partial<ProcessSpec>, specHash: string): Promise<void> {
      object = processObject('web', { ...object.spec, ...patch }, specHash);
      controller.applyLoad([{ file: 'web.yaml', ok: true, empty: false, objects: [object] }], specHash);
      await settle();
    },
    /** Kills the controller (its in-memory state is gone) and starts one from the persisted history. */
    async restartController(): Promise<void> {
      const history = controller.history();
      controller.close();
      controller = start(history);
      await controller.enqueueAll();
      await settle();
    },
    circuit: () => controller.history().get(WEB)?.circuit?.state ?? 'Closed',
    slot: () => controller.history().get(WEB)?.slots[0],
  };
  await settle();
  return world;
}

/** The world type. */
export type SlotWorld = Awaited<ReturnType<typeof createSlotWorld>>;
