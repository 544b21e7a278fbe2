/**
 * The executor contract: what every Executor must do, run against each implementation by its
 * own few-line test file. Cases an implementation cannot honour are skipped with a reason.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, it } from 'node:test';
import type { Executor } from '../../src/executor/executor.ts';
import type { Action, StartAction, StopAction } from '../../src/model/action.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { ObjectKey, ProcessSpec } from '../../src/model/object.ts';
import { SPEC } from '../planner/fixtures.ts';

/** An executor under test and how to clean up after it. */
export interface ContractSubject {
  readonly executor: Executor;
  readonly cleanup?: () => Promise<void>;
}

/** The contract's cases, by name. */
export type ContractCase = 'start' | 'start-twice' | 'stop' | 'stop-forget' | 'replace' | 'spawn-error' | 'slot-roles';

/** Options of {@link runExecutorContract}. */
export interface ContractOptions {
  readonly create: () => ContractSubject | Promise<ContractSubject>;
  /** Cases to skip, each with the reason why. */
  readonly skip?: Partial<Record<ContractCase, string>>;
}

/** Program used by the contract: sleeps until signalled. */
export const SLEEP_FOREVER = fileURLToPath(new URL('../fixtures/sleep-forever.js', import.meta.url));

/** A normalised spec with every default filled in. */
export function makeSpec(command: readonly string[], overrides: Partial<ProcessSpec> = {}): ProcessSpec {
  return { ...SPEC, command, workingDir: tmpdir(), env: {}, replicas: 1, stop: { signal: 'SIGTERM', gracePeriodMs: 5000 }, ...overrides };
}

/** A start action for replica 0 of `object`. */
export function startAction(object: ObjectKey, spec: ProcessSpec, specHash = 'hash-1'): StartAction {
  const name = object.slice(object.indexOf('/') + 1);
  return {
    type: 'start',
    object,
    instance: `${name}-0`,
    replica: 0,
    reason: 'Create',
    message: 'test',
    spec,
    specHash,
    generation: 1,
    backoffAttempt: 0,
    countsAsRestart: false,
  };
}

/** A stop action for the instance `start` started. */
export function stopAction(start: StartAction, forget = false, gracePeriodMs = 5000): StopAction {
  const { object, instance } = start;
  const stop = { signal: 'SIGTERM', gracePeriodMs };
  return { type: 'stop', object, instance, reason: forget ? 'Pruned' : 'UserStopped', message: 'test', stop, forget };
}

/** Resolves once `check` returns a value other than undefined; rejects after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Resolves as `promise` does, or rejects after `timeoutMs`. The timer also keeps the event loop
 * alive: an executor's children and timers are unref'd and would not.
 */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The instances the executor observes for `object`. */
export async function instancesOf(executor: Executor, object: ObjectKey): Promise<readonly ObservedInstance[]> {
  return (await executor.observe()).get(object) ?? [];
}

/** Runs the contract's cases against the executors `create` makes. */
export function runExecutorContract(options: ContractOptions): void {
  let cleanup: (() => Promise<void>) | undefined;
  const setup = async (): Promise<Executor> => {
    const subject = await options.create();
    cleanup = subject.cleanup;
    return subject.executor;
  };
  const test = (name: ContractCase, title: string, body: () => Promise<void>): void => {
    const reason = options.skip?.[name];
    void it(title, reason === undefined ? {} : { skip: reason }, body);
  };

  void describe('executor contract', () => {
    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });

    test('start', 'start: the instance is observed running', async () => {
      const executor = await setup();
      const start = startAction('process/c-start', makeSpec([process.execPath, SLEEP_FOREVER]));
      const result = await executor.apply(start);
      assert.equal(result.ok, true);
      assert.equal(result.ok && result.outcome, 'started');
      const [instance, ...rest] = await instancesOf(executor, start.object);
      assert.equal(rest.length, 0);
      assert.equal(instance?.state, 'running');
      assert.ok((instance?.pid ?? 0) > 0);
      assert.deepEqual(
        { id: instance?.id, replica: instance?.replica, specHash: instance?.specHash, generation: instance?.generation },
        { id: 'c-start-0', replica: 0, specHash: 'hash-1', generation: 1 },
      );
    });

    test('start-twice', 'start of a running instance changes nothing', async () => {
      const executor = await setup();
      const start = startAction('process/c-twice', makeSpec([process.execPath, SLEEP_FOREVER]));
      const first = await executor.apply(start);
      const second = await executor.apply(start);
      assert.equal(second.ok && second.outcome, 'unchanged');
      assert.equal(second.ok && second.instance?.pid, first.ok && first.instance?.pid);
      assert.equal((await instancesOf(executor, start.object)).length, 1);
    });

    test('stop', 'stop: the instance exits as requested and subscribers hear of it', async () => {
      const executor = await setup();
      const start = startAction('process/c-stop', makeSpec([process.execPath, SLEEP_FOREVER]));
      await executor.apply(start);
      const notified = new Promise<ObjectKey>((resolve) => executor.subscribe(resolve));
      const result = await executor.apply(stopAction(start));
      assert.ok(result.ok && ['stopping', 'stopped'].includes(result.outcome));
      assert.equal(await withTimeout(notified), start.object);
      const [instance] = await waitFor(async () => {
        const list = await instancesOf(executor, start.object);
        return list[0]?.state === 'exited' ? list : undefined;
      });
      assert.equal(instance?.exit?.requested, true);
      assert.equal(instance?.exit?.reason, 'Exited');
      assert.equal(instance?.stopReason, 'UserStopped');
    });

    test('stop-forget', 'stop with forget removes the instance', async () => {
      const executor = await setup();
      const start = startAction('process/c-forget', makeSpec([process.execPath, SLEEP_FOREVER]));
      await executor.apply(start);
      assert.equal((await executor.apply(stopAction(start, true))).ok, true);
      await waitFor(async () => ((await instancesOf(executor, start.object)).length === 0 ? true : undefined));
      assert.equal((await executor.observe()).has(start.object), false);
    });

    test('replace', 'a stop, then a start of the new spec: the new instance takes the slot of the exited one', async () => {
      const executor = await setup();
      const start = startAction('process/c-replace', makeSpec([process.execPath, SLEEP_FOREVER]));
      const first = await executor.apply(start);
      assert.equal((await executor.apply({ ...stopAction(start), reason: 'SpecChanged' })).ok, true);
      await waitFor(async () => ((await instancesOf(executor, start.object))[0]?.state === 'exited' ? true : undefined));
      const result = await executor.apply({ ...start, reason: 'SpecChanged', specHash: 'hash-2' });
      assert.ok(result.ok && result.outcome === 'started');
      const list = await instancesOf(executor, start.object);
      assert.deepEqual(list.map((i) => [i.replica, i.specHash, i.state]), [[0, 'hash-2', 'running']]);
      assert.notEqual(list[0]?.pid, first.ok ? first.instance?.pid : 0);
    });

    test('slot-roles', 'a fallback leaves the exited primary of its slot; a replacement under a new id takes it over', async () => {
      const executor = await setup();
      const start = startAction('process/c-slot', makeSpec([process.execPath, SLEEP_FOREVER]));
      await executor.apply(start);
      await executor.apply(stopAction(start));
      await waitFor(async () => ((await instancesOf(executor, start.object))[0]?.state === 'exited' ? true : undefined));
      const fallback: StartAction = { ...start, instance: 'c-slot-0.fallback', reason: 'CircuitFallback', specHash: 'h-fb', fallback: true };
      await executor.apply(fallback);
      const summary = async (): Promise<string[]> =>
        (await instancesOf(executor, start.object)).map((i) => `${i.id} ${i.state}${i.fallback ? ' fallback' : ''}`).sort();
      assert.deepEqual(await summary(), ['c-slot-0 exited', 'c-slot-0.fallback running fallback']);
      await executor.apply({ ...start, instance: 'c-slot-0.1', reason: 'RestartPolicy', replaces: 'c-slot-0' });
      assert.deepEqual(await summary(), ['c-slot-0.1 running', 'c-slot-0.fallback running fallback']);
    });

    test('spawn-error', 'a program that cannot start is a SpawnError value and an exited instance', async () => {
      const executor = await setup();
      const cases: readonly Action[] = [
        startAction('process/c-enoent', makeSpec(['/nonexistent/tend-no-such-program'])),
        startAction('process/c-badcwd', makeSpec([process.execPath, SLEEP_FOREVER], { workingDir: '/nonexistent/dir' })),
      ];
      for (const action of cases) {
        const result = await executor.apply(action);
        assert.equal(result.ok, false);
        assert.equal(!result.ok && result.reason, 'SpawnError');
        assert.ok(!result.ok && result.message.length > 0);
        const [instance] = await instancesOf(executor, action.object);
        assert.equal(instance?.state, 'exited');
        assert.equal(instance?.exit?.reason, 'SpawnError');
        assert.equal(instance?.exit?.requested, false);
      }
    });
  });
}
