/**
 * The environment of an instance: the controller's env, the spec's env, then tend's variables.
 * tend's variables come last so a manifest cannot forge the marker that adoption trusts.
 * The marker (`TEND_STATE_ID` and friends) is read back from `/proc/<pid>/environ` to rebuild
 * instances whose record was lost.
 */
import type { ObjectKey } from '../../model/object.ts';
import type { PortRange } from '../../model/pool.ts';
import type { UserAccount } from './users.ts';

/** Names of the variables tend sets in every instance. */
export const TEND_ENV = {
  name: 'TEND_NAME',
  replica: 'TEND_REPLICA',
  instance: 'TEND_INSTANCE',
  stateId: 'TEND_STATE_ID',
  object: 'TEND_OBJECT',
  specHash: 'TEND_SPEC_HASH',
  generation: 'TEND_GENERATION',
  fallback: 'TEND_FALLBACK',
  /** Set in lifecycle hooks instead of `stateId`: `<stateId>` — a hook is never adopted as an instance. */
  hookOf: 'TEND_HOOK_OF',
  /** The hook's name, in lifecycle hooks. */
  hook: 'TEND_HOOK',
  port: 'TEND_PORT',
} as const;

/** A pool worker's port: `ports.from + replica` (undefined without a port range). */
export function workerPort(ports: PortRange | undefined, replica: number): number | undefined {
  return ports === undefined ? undefined : ports.from + replica;
}

/** A lifecycle hook found running with no controller watching it (its controller died). */
export interface AbandonedHook {
  readonly pid: number;
  readonly object: ObjectKey;
  readonly instance: string;
  readonly hook: string;
}

/** Reads a hook's marker out of an environ buffer; undefined unless it is one of `stateId`'s hooks. */
export function parseHookMarker(environ: Buffer, stateId: string, pid: number): AbandonedHook | undefined {
  if (environ.indexOf(`${TEND_ENV.hookOf}=${stateId}`) < 0) return undefined;
  const vars = tendVars(environ);
  const object = vars.get(TEND_ENV.object);
  const instance = vars.get(TEND_ENV.instance);
  if (vars.get(TEND_ENV.hookOf) !== stateId || !object || !instance) return undefined;
  return { pid, object, instance, hook: vars.get(TEND_ENV.hook) ?? 'hook' };
}

/** What an instance's marker says about it. */
export interface InstanceMarker {
  readonly object: ObjectKey;
  readonly instance: string;
  readonly replica: number;
  readonly specHash: string;
  readonly generation: number;
  /** The instance runs the object's fallback program (`TEND_FALLBACK=1`). */
  readonly fallback?: boolean;
}

/** Builds the env of an instance; `user` adds HOME, USER and LOGNAME unless the spec sets them. */
export function buildInstanceEnv(options: {
  readonly base: Readonly<Record<string, string>>;
  readonly spec: Readonly<Record<string, string>>;
  readonly stateId: string;
  readonly marker: InstanceMarker;
  readonly user: UserAccount | undefined;
  /** ProcessPool workers: the pool's port range, for `TEND_PORT`. */
  readonly ports?: PortRange | undefined;
}): Record<string, string> {
  const { marker, user } = options;
  const port = workerPort(options.ports, marker.replica);
  const userEnv = user ? { HOME: user.home, USER: user.name, LOGNAME: user.name } : undefined;
  return {
    ...options.base,
    ...userEnv,
    ...options.spec,
    [TEND_ENV.name]: marker.object.slice(marker.object.indexOf('/') + 1),
    [TEND_ENV.replica]: String(marker.replica),
    [TEND_ENV.instance]: marker.instance,
    [TEND_ENV.stateId]: options.stateId,
    [TEND_ENV.object]: marker.object,
    [TEND_ENV.specHash]: marker.specHash,
    [TEND_ENV.generation]: String(marker.generation),
    [TEND_ENV.fallback]: marker.fallback === true ? '1' : '0',
    ...(port === undefined ? {} : { [TEND_ENV.port]: String(port) }),
  };
}

/**
 * Reads the marker out of a `/proc/<pid>/environ` buffer (NUL-separated `K=V`); undefined
 * unless it carries `TEND_STATE_ID=<stateId>` and every marker field is well formed.
 */
export function parseMarker(environ: Buffer, stateId: string): InstanceMarker | undefined {
  // Cheap prefilter on the raw bytes; the parse below checks the exact variable.
  if (environ.indexOf(`${TEND_ENV.stateId}=${stateId}`) < 0) return undefined;
  const vars = tendVars(environ);
  if (vars.get(TEND_ENV.stateId) !== stateId) return undefined;
  return markerFrom(vars);
}

// The TEND_ variables of a NUL-separated environ.
function tendVars(environ: Buffer): Map<string, string> {
  const vars = new Map<string, string>();
  for (const entry of environ.toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0 && entry.startsWith('TEND_')) vars.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return vars;
}

function markerFrom(vars: ReadonlyMap<string, string>): InstanceMarker | undefined {
  const object = vars.get(TEND_ENV.object);
  const instance = vars.get(TEND_ENV.instance);
  const specHash = vars.get(TEND_ENV.specHash);
  const replica = Number(vars.get(TEND_ENV.replica));
  const generation = Number(vars.get(TEND_ENV.generation));
  if (!object?.includes('/') || !instance || specHash === undefined) return undefined;
  if (!Number.isInteger(replica) || replica < 0 || !Number.isInteger(generation)) return undefined;
  const fallback = vars.get(TEND_ENV.fallback) === '1';
  return { object, instance, replica, specHash, generation, ...(fallback ? { fallback } : {}) };
}
