/**
 * Signals whole process groups. Every instance is spawned as the leader of its own group
 * (pgid = pid), so a stop reaches its children and grandchildren too. Never throws: a group
 * that is gone is a normal outcome.
 */
import { constants } from 'node:os';
import { readProcStat } from './proc-stat.ts';

/** What sending a signal did. */
export type SignalOutcome = 'sent' | 'gone' | 'denied';

/** True for a signal name this platform knows, e.g. `SIGTERM`. */
export function isSignalName(name: string): name is NodeJS.Signals {
  return Object.hasOwn(constants.signals, name);
}

/** Sends `signal` to the process group `pgid`; ESRCH (no member left) is `gone`. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): SignalOutcome {
  if (pgid <= 1) return 'gone';
  try {
    process.kill(-pgid, signal);
    return 'sent';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? 'denied' : 'gone';
  }
}

/** True while any process (zombies included) is left in the group. */
export function groupExists(pgid: number): boolean {
  return signalGroup(pgid, 0) === 'sent';
}

/**
 * Signals the group only if it is still the one the instance led: once the leader is gone and
 * the group empty, its number may belong to a new leader, whose start time then differs.
 */
export function signalGroupIfOurs(pgid: number, startTicks: number, signal: NodeJS.Signals): SignalOutcome {
  const leader = readProcStat(pgid);
  if (leader && leader.startTicks !== startTicks) return 'gone';
  return signalGroup(pgid, signal);
}
