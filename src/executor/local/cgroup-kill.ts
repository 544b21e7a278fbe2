/**
 * Kills every process of an instance's membership cgroup from the controller: at the end of a
 * stop's grace period, and for an instance whose shim is gone. v2 writes `cgroup.kill` (Linux
 * 5.14+); elsewhere the group is frozen (v1 freezer, v2 cgroup.freeze), each member SIGKILLed,
 * and thawed, so nothing can fork away meanwhile. Must not: throw.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeQuietly } from './cgroup-host.ts';

/** Pids in the cgroup folder `dir`; empty when it is gone or unreadable. */
export function cgroupMembers(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'latin1').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** SIGKILLs every member of the cgroup `dir`; true when it had any. */
export function killCgroup(dir: string): boolean {
  if (tryWrite(dir, 'cgroup.kill', '1')) return cgroupMembers(dir).length > 0;
  const v1 = tryWrite(dir, 'freezer.state', 'FROZEN');
  const v2 = !v1 && tryWrite(dir, 'cgroup.freeze', '1');
  const members = cgroupMembers(dir);
  for (const pid of members) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  if (v1) tryWrite(dir, 'freezer.state', 'THAWED');
  if (v2) tryWrite(dir, 'cgroup.freeze', '0');
  return members.length > 0;
}

/** Kills what is left in `dir` and removes it (a later call removes it once the last member is gone). */
export function killAndRemoveCgroup(dir: string): void {
  if (dir === '') return;
  killCgroup(dir);
  removeQuietly(dir);
}

function tryWrite(dir: string, file: string, value: string): boolean {
  try {
    writeFileSync(join(dir, file), value);
    return true;
  } catch {
    return false;
  }
}
