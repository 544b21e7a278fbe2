/**
 * The cgroup folders a shim makes for one instance, named by its token: the membership cgroup
 * (all its processes, killed as a whole) and one per controller holding a limit. On a v2 host the
 * two are one folder. The shim makes them and the program joins them before exec; the answer
 * says which it joined, and so which limits the kernel holds. Pure apart from reading whether
 * v1 swap accounting exists (in {@link limitSettings}).
 */
import { join } from 'node:path';
import type { LimitedResource, ResourceLimits } from '../../model/limits.ts';
import type { CgroupHost } from './cgroup-host.ts';
import { cgroupLimits, limitSettings } from './instance-cgroup.ts';
import type { CgroupDirRequest } from './shim-protocol.ts';

/** The folders to request, and the limits each holds once joined. */
export interface InstanceCgroupPlan {
  readonly dirs: readonly CgroupDirRequest[];
  readonly holds: readonly (readonly LimitedResource[])[];
}

/**
 * The cgroup folders of the instance `token` on `host`, holding `limits` (kernel enforcement on).
 * @example instanceCgroups({ version: 1, parents: { memory: '/m' }, membership: '/u' }, 'web-0.a1', { memory: 64 }).dirs.map((d) => d.path) // ['/u/web-0.a1', '/m/web-0.a1']
 */
export function instanceCgroups(host: CgroupHost | undefined, token: string, limits: ResourceLimits | undefined): InstanceCgroupPlan {
  if (!host) return { dirs: [], holds: [] };
  const byPath = new Map<string, { membership: boolean; writes: (readonly [string, string])[]; holds: LimitedResource[] }>();
  const dirOf = (parent: string): { membership: boolean; writes: (readonly [string, string])[]; holds: LimitedResource[] } => {
    const path = join(parent, token);
    let dir = byPath.get(path);
    if (!dir) byPath.set(path, (dir = { membership: false, writes: [], holds: [] }));
    return dir;
  };
  if (host.membership !== undefined) dirOf(host.membership).membership = true;
  for (const [resource, controller] of limits ? cgroupLimits(host, limits) : []) {
    const dir = dirOf(host.parents[controller] ?? '');
    dir.writes.push(...limitSettings(host.version, resource, limits?.[resource] ?? 0));
    dir.holds.push(resource);
  }
  const entries = [...byPath];
  return {
    dirs: entries.map(([path, dir]) => ({ path, membership: dir.membership, writes: dir.writes })),
    holds: entries.map(([, dir]) => dir.holds),
  };
}

/** The limits held by the folders the program joined. */
export function heldLimits(plan: InstanceCgroupPlan, joined: readonly boolean[]): LimitedResource[] {
  return plan.holds.flatMap((holds, index) => (joined[index] === true ? holds : []));
}

/** The membership folder, when the program joined it. */
export function joinedMembership(plan: InstanceCgroupPlan, joined: readonly boolean[]): string | undefined {
  const index = plan.dirs.findIndex((dir) => dir.membership);
  return index >= 0 && joined[index] === true ? plan.dirs[index]?.path : undefined;
}
