/**
 * Builds the observed records of instances the local executor starts: pure data, no I/O.
 */
import type { StartAction } from '../../model/action.ts';
import type { ObservedInstance } from '../../model/instance.ts';

/** The parts of a start or restart action that name and describe the instance to start. */
export type Launch = Pick<StartAction, 'object' | 'instance' | 'replica' | 'spec' | 'specHash' | 'generation' | 'fallback'>;

/** The record of an instance that just started as `pid`, with how its limits are held when it has any. */
export function runningInstance(launch: Launch, pid: number, startTicks: number, now: number, enforcement?: ObservedInstance['enforcement']): ObservedInstance {
  const instance: ObservedInstance = { ...identity(launch), pid, startTicks, startedAt: now, state: 'running' };
  return enforcement ? { ...instance, enforcement } : instance;
}

/** The record of an instance whose preStart hook runs: no program yet (pid 0). */
export function startingInstance(launch: Launch, now: number): ObservedInstance {
  return { ...identity(launch), pid: 0, startTicks: 0, startedAt: now, state: 'starting', hook: 'preStart' };
}

/** `instance` without the mark of a running hook. */
export function withoutHook(instance: ObservedInstance): ObservedInstance {
  if (instance.hook === undefined) return instance;
  const { hook: _hook, ...rest } = instance;
  return rest;
}

/** The record of an instance that could not start: exited at once with reason `SpawnError`. */
export function spawnErrorInstance(launch: Launch, now: number, message?: string): ObservedInstance {
  const exit = { code: null, signal: null, at: now, reason: 'SpawnError', requested: false } as const;
  return {
    ...identity(launch),
    pid: 0,
    startTicks: 0,
    startedAt: now,
    state: 'exited',
    exit: message === undefined ? exit : { ...exit, message },
  };
}

function identity(launch: Launch): Pick<ObservedInstance, 'id' | 'object' | 'replica' | 'specHash' | 'generation' | 'fallback'> {
  const { object, replica, specHash, generation } = launch;
  return { id: launch.instance, object, replica, specHash, generation, ...(launch.fallback ? { fallback: true } : {}) };
}
