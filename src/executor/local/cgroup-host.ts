/**
 * Where tend may create cgroups for its instances: found once, on the first spawn that needs
 * one. cgroup v1 has a hierarchy per controller (`/sys/fs/cgroup/memory`, `/cpu`, `/pids`);
 * v2 one unified tree. Instance cgroups go under tend's own cgroup of each controller
 * (`/proc/self/cgroup`), in a folder per state dir: `<own>/tend-<stateId>/`.
 *
 * v2 only allows it when tend's own cgroup can delegate the controllers (its
 * `cgroup.subtree_control` takes `+memory +cpu +pids`); a cgroup that holds processes itself
 * refuses that, and tend then falls back to watching limits with its monitor.
 * Must not: throw (a host without cgroups is a normal outcome), or create instance cgroups.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The cgroup controllers tend uses: memory and CPU limits, and the thread (task) count. */
export type CgroupController = 'memory' | 'cpu' | 'pids';

/** Folders under which instance cgroups are made, per controller tend may use. */
export interface CgroupHost {
  readonly version: 1 | 2;
  readonly parents: Readonly<Partial<Record<CgroupController, string>>>;
  /**
   * Where each instance gets the cgroup that holds all its processes, for stops and adoption:
   * the v2 tree (on a hybrid host `/sys/fs/cgroup/unified`), else the v1 freezer hierarchy.
   */
  readonly membership?: string;
}

const ROOT = '/sys/fs/cgroup';
const CONTROLLERS: readonly CgroupController[] = ['memory', 'cpu', 'pids'];

/**
 * The path of each hierarchy in `/proc/self/cgroup` text: `4:memory:/a` gives `memory` → `/a`;
 * the v2 line `0::/b` gives `''` → `/b`; `cpu,cpuacct` lines give both names.
 * @example parseProcCgroup('4:memory:/process_api/x\n0::/\n').get('memory') // '/process_api/x'
 */
export function parseProcCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    for (const name of (match[1] ?? '').split(',')) paths.set(name, match[2] ?? '/');
  }
  return paths;
}

/** Finds the host's cgroups and where tend may write; undefined when it may not. */
export function detectCgroupHost(stateId: string): CgroupHost | undefined {
  let own: Map<string, string>;
  try {
    own = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8'));
  } catch {
    return undefined;
  }
  const folder = `tend-${stateId.slice(0, 16)}`;
  return existsSync(join(ROOT, 'cgroup.controllers')) ? detectV2(own.get('') ?? '/', folder) : detectV1(own, folder);
}

function detectV1(own: ReadonlyMap<string, string>, folder: string): CgroupHost | undefined {
  const parents: Partial<Record<CgroupController, string>> = {};
  for (const controller of CONTROLLERS) {
    const path = own.get(controller);
    if (path === undefined) continue;
    const parent = join(ROOT, controller, path, folder);
    if (makeDir(parent)) parents[controller] = parent;
  }
  const membership = v1Membership(own, folder);
  if (Object.keys(parents).length === 0 && membership === undefined) return undefined;
  return membership === undefined ? { version: 1, parents } : { version: 1, parents, membership };
}

// A hybrid host's unified (v2) tree, which can kill a cgroup at once; else the v1 freezer.
function v1Membership(own: ReadonlyMap<string, string>, folder: string): string | undefined {
  const unified = join(ROOT, 'unified');
  if (existsSync(join(unified, 'cgroup.procs'))) {
    const parent = join(unified, own.get('') ?? '/', folder);
    if (makeDir(parent)) return parent;
  }
  const freezer = own.get('freezer');
  const parent = freezer === undefined ? undefined : join(ROOT, 'freezer', freezer, folder);
  return parent !== undefined && makeDir(parent) ? parent : undefined;
}

// v2: the tend folder is a child of tend's own cgroup, with the controllers delegated to it. A
// cgroup that cannot delegate still holds the instances' processes.
function detectV2(own: string, folder: string): CgroupHost | undefined {
  const base = join(ROOT, own);
  const parent = join(base, folder);
  if (!makeDir(parent)) return undefined;
  const available = new Set(readQuietly(join(base, 'cgroup.controllers')).split(/\s+/));
  const wanted = CONTROLLERS.filter((c) => available.has(c));
  try {
    if (wanted.length === 0) throw new Error('no controller to delegate');
    writeFileSync(join(base, 'cgroup.subtree_control'), wanted.map((c) => `+${c}`).join(' '));
    writeFileSync(join(parent, 'cgroup.subtree_control'), wanted.map((c) => `+${c}`).join(' '));
  } catch {
    return { version: 2, parents: {}, membership: parent };
  }
  return { version: 2, parents: Object.fromEntries(wanted.map((c) => [c, parent])), membership: parent };
}

// Creates the folder (and removes instance cgroups an earlier controller left empty).
function makeDir(path: string): boolean {
  try {
    mkdirSync(path, { recursive: true });
    for (const name of readdirSync(path, { withFileTypes: true })) {
      if (name.isDirectory()) removeQuietly(join(path, name.name));
    }
    return true;
  } catch {
    return false;
  }
}

/** Removes an empty cgroup folder; false when it still holds processes or is gone. */
export function removeQuietly(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Text of a small control file; '' when unreadable. */
export function readQuietly(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
