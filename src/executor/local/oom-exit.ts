/**
 * Whether an instance that died by SIGKILL was killed by the kernel's out-of-memory killer in its
 * memory cgroup, from the cgroup's oom_kill count read at its exit. Pure.
 */
import { formatFigure } from '../../planner/limits.ts';

/** How the exit of a kernel-limited instance is told apart from a plain crash. */
export interface KernelEnd {
  readonly reason: 'ResourceExhaustion';
  /** `killed by the kernel OOM killer (memory limit 64 MiB)`. */
  readonly message: string;
}

/**
 * A `ResourceExhaustion` end when the leader died by SIGKILL and its memory cgroup counted an
 * OOM kill; undefined otherwise (a SIGKILL from anyone else stays a Crash).
 * @example oomEnd('SIGKILL', 1, 64 * 1024 ** 2)?.message // 'killed by the kernel OOM killer (memory limit 64 MiB)'
 */
export function oomEnd(signal: string | null, oomKills: number, memoryLimit: number | undefined): KernelEnd | undefined {
  if (signal !== 'SIGKILL' || oomKills <= 0 || memoryLimit === undefined) return undefined;
  return { reason: 'ResourceExhaustion', message: `killed by the kernel OOM killer (memory limit ${formatFigure('memory', memoryLimit)})` };
}

/**
 * The end of an instance whose memory cgroup counted OOM kills: the program itself killed
 * (SIGKILL), or one of its children, after which the program exited (a shell's 137). Undefined
 * without an OOM kill.
 * @example instanceOomEnd(null, 1, 64 * 1024 ** 2)?.message // 'a process of the instance was killed by the kernel OOM killer (memory limit 64 MiB)'
 */
export function instanceOomEnd(signal: string | null, oomKills: number, memoryLimit: number | undefined): KernelEnd | undefined {
  if (oomKills <= 0) return undefined;
  const limit = memoryLimit === undefined ? '' : ` (memory limit ${formatFigure('memory', memoryLimit)})`;
  if (signal === 'SIGKILL') return { reason: 'ResourceExhaustion', message: `killed by the kernel OOM killer${limit}` };
  return { reason: 'ResourceExhaustion', message: `a process of the instance was killed by the kernel OOM killer${limit}` };
}
