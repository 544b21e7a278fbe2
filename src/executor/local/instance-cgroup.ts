/**
 * One instance's cgroup: made right after its spawn, the leader's pid written into it, the
 * limits set; read for an out-of-memory kill when the leader exits, then removed.
 *
 * The race accepted: the pid is written just after `spawn` returns, in the same tick, so the
 * program is in the cgroup within a fraction of a millisecond of its exec, before any
 * interpreter has started; a native program that forks at once could leave a child outside.
 * Joining first through a wrapper (`sh -c 'echo $$ > cgroup.procs; exec ...'`) would close it at
 * the cost of a shell exec on every start, which the restart-latency targets do not allow.
 * Must not: throw; a limit that cannot be set falls back to the monitor.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LimitedResource, ResourceLimits } from '../../model/limits.ts';
import type { CgroupController, CgroupHost } from './cgroup-host.ts';
import { readQuietly, removeQuietly } from './cgroup-host.ts';

/** A live instance cgroup. */
export interface InstanceCgroup {
  /** The limits the kernel holds for this instance. */
  readonly enforced: readonly LimitedResource[];
  /** Out-of-memory kills in the instance's memory cgroup so far. */
  oomKills(): number;
  /** Removes the cgroup folders (retried once shortly after, while the last members exit). */
  remove(): void;
}

const CPU_PERIOD_US = 100_000;

/** The limits a cgroup can hold, each with the controller that holds it. */
const HOLDERS: readonly (readonly [LimitedResource, CgroupController])[] = [['memory', 'memory'], ['cpu', 'cpu'], ['threads', 'pids']];

/** Which of `limits` a cgroup can hold on `host`, with their controllers. */
export function cgroupLimits(host: CgroupHost | undefined, limits: ResourceLimits): (readonly [LimitedResource, CgroupController])[] {
  if (!host) return [];
  return HOLDERS.filter(([resource, controller]) => limits[resource] !== undefined && host.parents[controller] !== undefined);
}

/**
 * Makes the cgroup of `pid` (named `name`) under `host` with `limits`; undefined when none of
 * them could be set.
 */
export function createInstanceCgroup(host: CgroupHost, name: string, pid: number, limits: ResourceLimits): InstanceCgroup | undefined {
  const dirs = new Set<string>();
  const enforced: LimitedResource[] = [];
  let memoryDir: string | undefined;
  for (const [resource, controller] of cgroupLimits(host, limits)) {
    const dir = join(host.parents[controller] ?? '', name);
    try {
      if (!dirs.has(dir)) mkdirSync(dir);
      dirs.add(dir);
      for (const [file, value] of limitSettings(host.version, resource, limits[resource] ?? 0)) writeFileSync(join(dir, file), value);
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      enforced.push(resource);
      if (resource === 'memory') memoryDir = dir;
    } catch {
      // This limit stays with the monitor.
    }
  }
  if (enforced.length === 0) {
    for (const dir of dirs) removeQuietly(dir);
    return undefined;
  }
  return {
    enforced,
    oomKills: () => (memoryDir === undefined ? 0 : oomKillCount(host.version, memoryDir)),
    remove: () => removeDirs([...dirs]),
  };
}

/**
 * The control files that set a limit, in order (v1 needs the memory limit before memory+swap).
 * @example limitSettings(2, 'cpu', 0.5) // [['cpu.max', '50000 100000']]
 */
export function limitSettings(version: 1 | 2, resource: LimitedResource, limit: number): [string, string][] {
  if (resource === 'memory') {
    const bytes = String(Math.floor(limit));
    return version === 2 ? [['memory.max', bytes], ['memory.swap.max', '0']] : [['memory.limit_in_bytes', bytes], ...swapOff(bytes)];
  }
  if (resource === 'cpu') {
    const quota = String(Math.max(1000, Math.round(limit * CPU_PERIOD_US)));
    return version === 2 ? [['cpu.max', `${quota} ${CPU_PERIOD_US}`]] : [['cpu.cfs_period_us', String(CPU_PERIOD_US)], ['cpu.cfs_quota_us', quota]];
  }
  return [['pids.max', String(Math.floor(limit))]];
}

// v1 memory+swap equal to memory, so the limit is not dodged by swapping (absent without swap accounting).
function swapOff(bytes: string): [string, string][] {
  return readQuietly('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes') === '' ? [] : [['memory.memsw.limit_in_bytes', bytes]];
}

/**
 * The `oom_kill` count of a memory cgroup's `memory.oom_control` (v1) or `memory.events` (v2).
 * @example parseOomKills('oom_kill_disable 0\nunder_oom 0\noom_kill 1\n') // 1
 */
export function parseOomKills(text: string): number {
  return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
}

function oomKillCount(version: 1 | 2, dir: string): number {
  return parseOomKills(readQuietly(join(dir, version === 2 ? 'memory.events' : 'memory.oom_control')));
}

// The leader is gone; members the exit's SIGKILL reached leave within milliseconds.
function removeDirs(dirs: readonly string[]): void {
  const left = dirs.filter((dir) => !removeQuietly(dir));
  if (left.length > 0) setTimeout(() => left.forEach(removeQuietly), 200).unref();
}
