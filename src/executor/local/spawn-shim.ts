/**
 * Starts one instance through the spawn helper: resolves argv, env and user as a direct spawn
 * would, plans its cgroups (membership always where the host has cgroups, limit controllers
 * when `enforce: kernel`), and sends the request. The answer gives the pid and start time, which
 * cgroups the program joined before exec, and whether its log files opened.
 * Failures are values, never throws.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Enforcement, LimitedResource } from '../../model/limits.ts';
import { enforcementOf } from './kernel-limits.ts';
import { logPaths } from './log-files.ts';
import { heldLimits, instanceCgroups, joinedMembership, type InstanceCgroupPlan } from './shim-cgroups.ts';
import type { ShimClient } from './shim-client.ts';
import type { ShimRequest } from './shim-protocol.ts';
import { resolveProgram, spawnFailure, type ResolvedProgram, type SpawnContext, type SpawnFailure, type SpawnRequest } from './spawn-instance.ts';

/** What a spawn through the helper needs beside the executor-wide settings. */
export interface ShimSpawnContext extends SpawnContext {
  readonly client: ShimClient;
  readonly runDir: string;
}

/** A started program, or why it did not start. */
export type ShimSpawnOutcome =
  | {
      readonly ok: true;
      readonly pid: number;
      readonly startTicks: number;
      readonly shimPid: number;
      /** The membership cgroup the program joined; undefined when there is none. */
      readonly cgroup: string | undefined;
      readonly enforcement?: Partial<Record<LimitedResource, Enforcement>>;
      /** argv, env and user as resolved for this start (a standing order of it reuses them). */
      readonly program: ResolvedProgram;
    }
  | { readonly ok: false; readonly failure: SpawnFailure };

const ERRNO_NAMES = new Map(Object.entries(osConstants.errno).map(([name, value]) => [value, name]));
const logDirs = new Set<string>();

/** A request ready for the helper, or why the program cannot start. */
export type PreparedShimRequest =
  | { readonly ok: true; readonly request: Omit<ShimRequest, 'id'>; readonly plan: InstanceCgroupPlan; readonly program: ResolvedProgram }
  | { readonly ok: false; readonly failure: SpawnFailure };

/**
 * What the helper needs to start `request` as the instance `token`: argv, env and user resolved
 * as a direct spawn would, its log files and cgroups. A missing program or working dir is a
 * failure here, as a value.
 */
export function prepareShimRequest(context: Omit<ShimSpawnContext, 'client'>, request: SpawnRequest, token: string, program?: ResolvedProgram): PreparedShimRequest {
  const resolved = program ?? resolveProgram(context, request);
  if ('message' in resolved) return { ok: false, failure: resolved };
  const { spec } = request;
  // The shim answers before the exec: what commonly fails there is checked here, as a value.
  const missing = missingPart(resolved.file, resolved.env.PATH, spec.workingDir);
  if (missing) return { ok: false, failure: spawnFailure(request, Object.assign(new Error(missing.what), { code: missing.code })) };
  const limits = spec.resources?.limits;
  const kernel = spec.resources?.enforce === 'kernel' ? context.kernel : undefined;
  const plan = instanceCgroups(context.kernel?.host(), token, kernel ? limits : undefined);
  const logs = logPaths(context.stateDir, request.instance);
  ensureLogDir(context.stateDir);
  return {
    ok: true,
    plan,
    program: resolved,
    request: {
      file: resolved.file,
      argv: [resolved.file, ...resolved.args],
      env: resolved.env,
      cwd: spec.workingDir,
      uid: resolved.user?.uid,
      gid: resolved.user?.gid,
      stdout: logs.out,
      stderr: logs.err,
      nofile: kernel ? limits?.fds : undefined,
      cgroups: plan.dirs,
      runDir: context.runDir,
      token,
      meta: JSON.stringify(identityOf(request)),
    },
  };
}

/** Starts `request` as the instance `token` through the helper. */
export async function spawnThroughShim(context: ShimSpawnContext, request: SpawnRequest, token: string): Promise<ShimSpawnOutcome> {
  const prepared = prepareShimRequest(context, request, token);
  if (!prepared.ok) return prepared;
  const { plan } = prepared;
  const answer = await context.client.spawn(prepared.request);
  if (!answer.ok) return { ok: false, failure: shimFailure(request, answer.stage, answer.errno) };
  if (!answer.logs) context.onLogFailure(`cannot open the log files of ${request.instance}; its output is discarded`, request.object);
  const started = { ok: true as const, pid: answer.pid, startTicks: answer.startTicks, shimPid: answer.shimPid, cgroup: joinedMembership(plan, answer.joined), program: prepared.program };
  const limits = request.spec.resources?.limits;
  if (!limits) return started;
  const kernel = request.spec.resources?.enforce === 'kernel' && context.kernel !== undefined;
  return { ...started, enforcement: enforcementOf(limits, heldLimits(plan, answer.joined), kernel) };
}

/** The identity kept in the run file, from which adoption rebuilds an unrecorded instance. */
export interface RunIdentity {
  readonly object: string;
  readonly instance: string;
  readonly replica: number;
  readonly specHash: string;
  readonly generation: number;
  readonly fallback?: true;
}

function identityOf(request: SpawnRequest): RunIdentity {
  const { object, instance, replica, specHash, generation } = request;
  return { object, instance, replica, specHash, generation, ...(request.fallback ? { fallback: true } : {}) };
}

/**
 * Why `request` could not start, from the step its shim or program reported (`exec`, `chdir`,
 * ...) and the errno; also for a failure told by the exit file, after the shim answered.
 */
export function shimFailure(request: SpawnRequest, stage: string, errno: number): SpawnFailure {
  if (stage === 'helper') return { message: `the spawn helper ended before it answered; ${request.instance} was not started` };
  const code = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
  const error = Object.assign(new Error(`${stage} failed`), { code, errno });
  return spawnFailure(request, error);
}

// The working dir must be a folder and the program file must be found (on the program's PATH
// when it names no folder) and executable; what else fails at exec comes with the exit file.
function missingPart(file: string, path: string | undefined, cwd: string): { readonly code: string; readonly what: string } | undefined {
  const dir = statQuietly(cwd);
  if (dir === undefined) return { code: 'ENOENT', what: 'workingDir does not exist' };
  if (!dir.isDirectory()) return { code: 'ENOTDIR', what: 'workingDir is not a folder' };
  if (findProgram(file, path ?? DEFAULT_PATH, cwd) !== undefined) return undefined;
  return { code: 'ENOENT', what: `${file} not found${file.includes('/') ? '' : ' on PATH'} or not executable` };
}

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

// Where each program was last found, by file, PATH and working dir: a restart checks that one
// place again instead of walking PATH, each miss of which costs a thrown error.
const found = new Map<string, string>();
const FOUND_MAX = 1024;

/** The executable `file` resolves to from `cwd` (through `path` when it names no folder), if any. */
export function findProgram(file: string, path: string, cwd: string): string | undefined {
  const key = `${file}\0${path}\0${cwd}`;
  const last = found.get(key);
  if (last !== undefined && isExecutable(last)) return last;
  found.delete(key);
  const candidates = file.includes('/') ? [resolve(cwd, file)] : path.split(':').map((dir) => join(resolve(cwd, dir || '.'), file));
  const hit = candidates.find((candidate) => existsSync(candidate) && isExecutable(candidate));
  if (hit === undefined) return undefined;
  if (found.size >= FOUND_MAX) found.clear();
  found.set(key, hit);
  return hit;
}

function statQuietly(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function ensureLogDir(stateDir: string): void {
  if (logDirs.has(stateDir)) return;
  mkdirSync(dirname(logPaths(stateDir, 'x').out), { recursive: true, mode: 0o750 });
  logDirs.add(stateDir);
}
