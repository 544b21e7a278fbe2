/**
 * Adoption of instances started through the spawn helper, from their run files: an instance is
 * its recorded program (pid and start time both equal) and a member of its own cgroup, never a
 * process found by the marker in its environment, which any escaped child inherits. An exit
 * file says how a program ended while no controller ran.
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { ExitInfo, ObservedInstance } from '../../model/instance.ts';
import { isSameProcess } from './adopt.ts';
import { cgroupMembers } from './cgroup-kill.ts';
import { instanceOomEnd } from './oom-exit.ts';
import { isDead, readProcStat, ticksToEpochMs } from './proc-stat.ts';
import type { RunEntry } from './run-dir.ts';
import type { ShimExit } from './shim-protocol.ts';
import type { RunIdentity } from './spawn-shim.ts';

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, value]) => [value, name as NodeJS.Signals]));

/** The name of signal number `signal` (`SIG15` for one this platform does not name). */
export function signalNameOf(signal: number): NodeJS.Signals {
  return SIGNAL_NAMES.get(signal) ?? (`SIG${signal}` as NodeJS.Signals);
}

/** How the program ended, from its exit file; an OOM kill counted in its memory cgroup makes it a ResourceExhaustion. */
export function shimEnd(exit: ShimExit, memoryLimit: number | undefined): Pick<ExitInfo, 'code' | 'signal' | 'reason' | 'message'> {
  const signal = exit.signal === null ? null : signalNameOf(exit.signal);
  return { code: exit.code, signal, reason: 'Exited', ...instanceOomEnd(signal, exit.oomKills, memoryLimit) };
}

/** True while the entry's program runs: same pid and start time, and a member of its cgroup. */
export function isRunAlive(entry: RunEntry): boolean {
  const { pid, startTicks, cgroup } = entry.run;
  return isSameProcess({ pid, startTicks }) && (cgroup === '' || cgroupMembers(cgroup).includes(pid));
}

/** True while the shim that watches the entry's program lives (it will write the exit file). */
export function isShimAlive(shimPid: number): boolean {
  const stat = shimPid > 1 ? readProcStat(shimPid) : undefined;
  return stat !== undefined && !isDead(stat) && commOf(shimPid) === 'tend-shim';
}

// The process's command name; a recycled pid names some other program.
function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'latin1').trim();
  } catch {
    return '';
  }
}

/** The instance a run file names, rebuilt from its identity; undefined when that is unreadable. */
export function instanceOfRun(entry: RunEntry, bootTimeMs: number): ObservedInstance | undefined {
  let identity: Partial<RunIdentity>;
  try {
    identity = JSON.parse(entry.run.meta) as Partial<RunIdentity>;
  } catch {
    return undefined;
  }
  const { object, instance, replica, specHash, generation } = identity;
  if (typeof object !== 'string' || typeof instance !== 'string' || typeof specHash !== 'string') return undefined;
  if (!Number.isInteger(replica) || !Number.isInteger(generation)) return undefined;
  const { pid, startTicks } = entry.run;
  const startedAt = ticksToEpochMs(startTicks, bootTimeMs);
  const base = { id: instance, object, replica: replica ?? 0, pid, startTicks, specHash, generation: generation ?? 0, startedAt, state: 'running' as const };
  return identity.fallback === true ? { ...base, fallback: true } : base;
}
