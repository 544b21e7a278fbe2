/**
 * Adoption after a controller restart: a record is taken over only if its pid still runs the
 * same process (same start time), so a recycled pid is never adopted; processes carrying this
 * state dir's marker that no record names are found by scanning `/proc`.
 */
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import type { ObservedInstance } from '../../model/instance.ts';
import { parseHookMarker, parseMarker, type AbandonedHook } from './instance-env.ts';
import { withoutHook } from './instance-records.ts';
import { isDead, readProcStat, ticksToEpochMs } from './proc-stat.ts';

/** True when `record`'s pid is alive and still the process it names (start times equal). */
export function isSameProcess(record: Pick<ObservedInstance, 'pid' | 'startTicks'>): boolean {
  if (record.pid <= 1) return false;
  const stat = readProcStat(record.pid);
  return stat !== undefined && !isDead(stat) && stat.startTicks === record.startTicks;
}

/** `record` as an instance found gone: exited with reason `Lost`, requested if it was stopping. */
export function lostInstance(record: ObservedInstance, now: number): ObservedInstance {
  const requested = record.state === 'stopping';
  return { ...withoutHook(record), state: 'exited', exit: { code: null, signal: null, at: now, reason: 'Lost', requested } };
}

/** What {@link scanMarkedProcesses} must skip and how it dates what it finds. */
export interface MarkerScan {
  readonly stateId: string;
  /** Pids already managed. */
  readonly knownPids: ReadonlySet<number>;
  /** `object\0id` of instances already managed: a process claiming one of them is a stray descendant. */
  readonly knownInstances: ReadonlySet<string>;
  readonly bootTimeMs: number;
}

/**
 * Group leaders in `/proc` whose environ carries `TEND_STATE_ID=<stateId>`, rebuilt as running
 * instances. A descendant that made itself a group leader inherits the marker too, so for each
 * instance only the earliest started process counts.
 */
export function scanMarkedProcesses(scan: MarkerScan): { readonly instances: readonly ObservedInstance[]; readonly hooks: readonly AbandonedHook[] } {
  const byInstance = new Map<string, ObservedInstance>();
  const hooks: AbandonedHook[] = [];
  for (const pid of listPids()) {
    if (scan.knownPids.has(pid)) continue;
    const instance = readMarkedInstance(pid, scan, hooks);
    if (!instance) continue;
    const key = `${instance.object}\0${instance.id}`;
    const earlier = byInstance.get(key);
    if (scan.knownInstances.has(key) || (earlier && earlier.startTicks <= instance.startTicks)) continue;
    byInstance.set(key, instance);
  }
  return { instances: [...byInstance.values()], hooks };
}

function listPids(): readonly number[] {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return [];
  }
}

// Only live group leaders are instances; their environ holds the marker. A lifecycle hook's
// leader carries a hook marker instead, and goes into `hooks`.
function readMarkedInstance(pid: number, scan: MarkerScan, hooks: AbandonedHook[]): ObservedInstance | undefined {
  const stat = readProcStat(pid);
  if (!stat || stat.pgid !== pid || isDead(stat)) return undefined;
  const environ = readEnviron(pid);
  if (!environ) return undefined;
  const marker = parseMarker(environ, scan.stateId);
  if (!marker) {
    const hook = parseHookMarker(environ, scan.stateId, pid);
    if (hook) hooks.push(hook);
    return undefined;
  }
  return {
    id: marker.instance,
    object: marker.object,
    replica: marker.replica,
    pid,
    startTicks: stat.startTicks,
    specHash: marker.specHash,
    generation: marker.generation,
    startedAt: ticksToEpochMs(stat.startTicks, scan.bootTimeMs),
    state: 'running',
    ...(marker.fallback ? { fallback: true } : {}),
  };
}

// One buffer for every environ of a scan, grown when one does not fit: a scan reads thousands of
// processes, and readFileSync's 64 KiB buffer for each (their size is unknown beforehand) left
// the controller's malloc heap at 15 MB from its start.
let environBuffer = Buffer.alloc(16 * 1024);

/** The environ of `pid`, as a view into a shared buffer valid until the next call. */
function readEnviron(pid: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/environ`, 'r');
  } catch {
    return undefined;
  }
  try {
    let length = 0;
    for (;;) {
      if (length === environBuffer.length) environBuffer = Buffer.concat([environBuffer, Buffer.alloc(environBuffer.length)]);
      const read = readSync(fd, environBuffer, length, environBuffer.length - length, null);
      if (read === 0) return environBuffer.subarray(0, length);
      length += read;
    }
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
