/**
 * Kernel enforcement of an instance's limits, where the host allows it: `fds` as RLIMIT_NOFILE,
 * set by spawning through `prlimit` (util-linux) or, without it, `sh -c 'ulimit -n N; exec ...'`
 * (Node cannot setrlimit on a child); `memory`, `cpu` and `threads` in a cgroup of the instance's
 * own (instance-cgroup.ts). What the kernel cannot hold is watched by the monitor. A program
 * without limits is spawned bare: nothing here runs on that path.
 * Must not: throw, or decide what happens when a limit is exceeded.
 */
import { existsSync } from 'node:fs';
import type { Enforcement, LimitedResource, ResourceLimits } from '../../model/limits.ts';
import { LIMITED_RESOURCES } from '../../model/limits.ts';
import { detectCgroupHost, type CgroupHost } from './cgroup-host.ts';
import { createInstanceCgroup, type InstanceCgroup } from './instance-cgroup.ts';

/** The argv to spawn. */
export interface Argv {
  readonly file: string;
  readonly args: readonly string[];
}

/** Kernel enforcement for one executor: the cgroup host is looked for on first use. */
export interface KernelLimits {
  /** The argv that starts `argv` with the rlimits of `limits` set (`argv` itself when none). */
  wrap(argv: Argv, limits: ResourceLimits): Argv;
  /** Puts a just-spawned `pid` into a cgroup of its own holding `limits`, when the host allows. */
  attach(name: string, pid: number, limits: ResourceLimits): InstanceCgroup | undefined;
  /** Where instance cgroups may be made (looked for once); undefined when nowhere. */
  host(): CgroupHost | undefined;
}

const PRLIMIT_PATHS = ['/usr/bin/prlimit', '/bin/prlimit'];

/** Creates the kernel enforcement of the executor for state dir `stateId`. */
export function createKernelLimits(stateId: string): KernelLimits {
  let host: CgroupHost | undefined | null = null;
  let prlimit: string | undefined | null = null;
  return {
    wrap(argv, limits) {
      if (limits.fds === undefined) return argv;
      prlimit ??= PRLIMIT_PATHS.find((p) => existsSync(p));
      return rlimitArgv(argv, limits.fds, prlimit);
    },
    attach(name, pid, limits) {
      if (limits.memory === undefined && limits.cpu === undefined && limits.threads === undefined) return undefined;
      host ??= detectCgroupHost(stateId);
      return host ? createInstanceCgroup(host, name, pid, limits) : undefined;
    },
    host() {
      host ??= detectCgroupHost(stateId);
      return host;
    },
  };
}

/**
 * `argv` started with RLIMIT_NOFILE `fds` (soft and hard), through `prlimit` when there is one.
 * Either way the wrapper execs the program, so it keeps the pid and process group.
 * @example rlimitArgv({ file: 'node', args: ['a.js'] }, 64, '/usr/bin/prlimit').args // ['--nofile=64:64', '--', 'node', 'a.js']
 */
export function rlimitArgv(argv: Argv, fds: number, prlimit: string | undefined): Argv {
  if (prlimit !== undefined) return { file: prlimit, args: [`--nofile=${fds}:${fds}`, '--', argv.file, ...argv.args] };
  return { file: '/bin/sh', args: ['-c', `ulimit -n ${fds} && exec "$0" "$@"`, argv.file, ...argv.args] };
}

/**
 * How each limit is held: by the cgroup when it holds it, RLIMIT_NOFILE for fds when `rlimits`
 * were set at spawn, else the monitor.
 * @example enforcementOf({ memory: 1, fds: 8, cpu: 1 }, ['memory'], true) // { memory: 'cgroup', fds: 'rlimit', cpu: 'monitor' }
 */
export function enforcementOf(limits: ResourceLimits, inCgroup: readonly LimitedResource[], rlimits: boolean): Partial<Record<LimitedResource, Enforcement>> {
  const out: Partial<Record<LimitedResource, Enforcement>> = {};
  for (const resource of LIMITED_RESOURCES) {
    if (limits[resource] === undefined) continue;
    out[resource] = inCgroup.includes(resource) ? 'cgroup' : resource === 'fds' && rlimits ? 'rlimit' : 'monitor';
  }
  return out;
}
