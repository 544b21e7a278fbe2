/**
 * Starts one instance with a bare `child_process.spawn`: its own process group, stdout/stderr
 * appended to its log files, unref'd so a one-shot controller can exit while it keeps running.
 * This is the hot path of every (re)start: no shell unless asked, no extra processes, one read
 * of `/proc/<pid>/stat` for the start time. Failures are values, never throws.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { ObjectKey, ProgramSpec } from '../../model/object.ts';
import type { Enforcement, LimitedResource } from '../../model/limits.ts';
import type { InstanceCgroup } from './instance-cgroup.ts';
import { buildInstanceEnv } from './instance-env.ts';
import { redactSecrets, withheldNames } from '../../model/secrets.ts';
import { enforcementOf, type KernelLimits } from './kernel-limits.ts';
import { oomEnd, type KernelEnd } from './oom-exit.ts';
import { closeLogFds, openLogFiles } from './log-files.ts';
import { readProcStat } from './proc-stat.ts';
import { lookupUser, type UserAccount } from './users.ts';

/** Executor-wide settings every spawn needs. */
export interface SpawnContext {
  readonly stateDir: string;
  readonly stateId: string;
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Honour `spec.user` (tend runs as root). */
  readonly asRoot: boolean;
  /** Log files could not be opened; the program then runs with its output discarded. */
  readonly onLogFailure: (message: string, object: ObjectKey) => void;
  /** Kernel enforcement of limits (rlimits, cgroups); without it every limit is left to the monitor. */
  readonly kernel?: KernelLimits;
}

/** One instance to start. */
export interface SpawnRequest {
  readonly object: ObjectKey;
  readonly instance: string;
  readonly replica: number;
  readonly spec: ProgramSpec;
  readonly specHash: string;
  readonly generation: number;
  /** A fallback program (recovery strategy `fallback`); marked as such in its env. */
  readonly fallback?: true;
}

/** Why a process could not start. */
export interface SpawnFailure {
  readonly message: string;
  readonly cause?: unknown;
}

/**
 * A started process, or a failure. Errors the kernel reports after the call (ENOENT, EACCES, a
 * bad working dir) arrive on the next tick, so the failure detail is a promise either way.
 */
export type SpawnOutcome =
  | {
      readonly ok: true;
      readonly child: ChildProcess;
      readonly pid: number;
      readonly startTicks: number;
      /** How each limit of the spec is held; absent without limits. */
      readonly enforcement?: Partial<Record<LimitedResource, Enforcement>>;
    }
  | { readonly ok: false; readonly failure: Promise<SpawnFailure> };

/**
 * Called once when the started process exits (code, or the name of the signal that killed it);
 * `kernel` when its memory cgroup says the kernel's OOM killer killed it.
 */
export type ExitListener = (code: number | null, signal: NodeJS.Signals | null, kernel?: KernelEnd) => void;

/** Spawns the instance; whether it started is known synchronously. Never throws. */
export function spawnInstance(context: SpawnContext, request: SpawnRequest, onExit: ExitListener): SpawnOutcome {
  const prepared = prepareSpawn(context, request);
  if ('message' in prepared) return { ok: false, failure: Promise.resolve(prepared) };
  const fds = openLogs(context, request);
  let child: ChildProcess;
  try {
    child = spawn(prepared.file, prepared.args, { ...prepared.options, stdio: ['ignore', fds?.out ?? 'ignore', fds?.err ?? 'ignore'] });
  } catch (error) {
    return { ok: false, failure: Promise.resolve(failure(request, error)) };
  } finally {
    if (fds) closeLogFds(fds.out, fds.err);
  }
  const pid = child.pid;
  if (pid === undefined) {
    return { ok: false, failure: new Promise((resolve) => child.once('error', (error) => resolve(failure(request, error)))) };
  }
  const limits = request.spec.resources?.limits;
  const kernel = request.spec.resources?.enforce === 'kernel' ? context.kernel : undefined;
  const cgroup = limits ? kernel?.attach(`${request.instance}-${pid}`, pid, limits) : undefined;
  child.once('exit', cgroup ? exitWithCgroup(cgroup, limits?.memory, onExit) : onExit);
  // Errors after a successful spawn (a failed kill) need no handling: exits are what count.
  child.on('error', () => undefined);
  child.unref();
  const startTicks = readProcStat(pid)?.startTicks ?? 0;
  if (!limits) return { ok: true, child, pid, startTicks };
  return { ok: true, child, pid, startTicks, enforcement: enforcementOf(limits, cgroup?.enforced ?? [], kernel !== undefined) };
}

// Reads the cgroup's OOM count, reports the exit (which SIGKILLs what is left of the group),
// then removes the cgroup.
function exitWithCgroup(cgroup: InstanceCgroup, memoryLimit: number | undefined, onExit: ExitListener): ExitListener {
  return (code, signal) => {
    onExit(code, signal, oomEnd(signal, cgroup.oomKills(), memoryLimit));
    cgroup.remove();
  };
}

interface PreparedSpawn {
  readonly file: string;
  readonly args: readonly string[];
  readonly options: SpawnOptions;
}

// Resolves argv, user and env; a problem here is a spawn error without touching the OS.
function prepareSpawn(context: SpawnContext, request: SpawnRequest): PreparedSpawn | { readonly message: string } {
  const { spec } = request;
  const line = spec.command[0];
  if (line === undefined || line === '') return { message: 'command is empty' };
  const [bare = line, ...bareArgs] = spec.shell ? ['/bin/sh', '-c', line] : spec.command;
  const { resources } = spec;
  const kernel = resources?.enforce === 'kernel' ? context.kernel : undefined;
  const { file, args } = resources && kernel ? kernel.wrap({ file: bare, args: bareArgs }, resources.limits) : { file: bare, args: bareArgs };
  const withheld = withheldNames(spec.env);
  if (withheld.length > 0) {
    return { message: `secret env ${withheld.join(', ')} is not kept in the state file; it is read again once its manifest file is valid` };
  }
  const user = context.asRoot ? runAs(spec) : undefined;
  if (user && 'message' in user) return user;
  const env = buildInstanceEnv({ base: context.baseEnv, spec: spec.env, stateId: context.stateId, marker: request, user, ports: request.spec.ports });
  const options: SpawnOptions = { cwd: spec.workingDir, env, detached: true };
  if (user) Object.assign(options, { uid: user.uid, gid: user.gid });
  return { file, args, options };
}

/**
 * The account a program (or its probes) runs as when tend runs as root: `user`, else the manifest
 * file's owner; root only for a root-owned manifest, and another account than the owner's only for
 * a root-owned manifest. A message when that is not allowed.
 */
export function runAs(spec: ProgramSpec): UserAccount | { readonly message: string } | undefined {
  try {
    return accountOf(spec);
  } catch (error) {
    return { message: (error as Error).message };
  }
}

function accountOf(spec: ProgramSpec): UserAccount | { readonly message: string } | undefined {
  const ownerIsRoot = spec.owner === undefined || spec.owner.uid === 0;
  if (spec.user === undefined) {
    if (ownerIsRoot || !spec.owner) return undefined;
    const account = lookupUser(String(spec.owner.uid));
    return account ?? { name: String(spec.owner.uid), uid: spec.owner.uid, gid: spec.owner.gid, home: '/' };
  }
  const account = lookupUser(spec.user);
  if (!account) return { message: `user "${spec.user}" not found in /etc/passwd` };
  if (account.uid === 0 && !ownerIsRoot) return { message: `user "${spec.user}" is root, but the manifest file is not owned by root` };
  if (!ownerIsRoot && account.uid !== spec.owner?.uid) {
    return { message: `user "${spec.user}" is another account than the manifest file's owner (uid ${spec.owner?.uid}); only a root-owned manifest may name one` };
  }
  return account;
}

function openLogs(context: SpawnContext, request: SpawnRequest): { readonly out: number; readonly err: number } | undefined {
  try {
    return openLogFiles(context.stateDir, request.instance);
  } catch (error) {
    context.onLogFailure(`cannot open the log files of ${request.instance}: ${(error as Error).message}`, request.object);
    return undefined;
  }
}

function failure(request: SpawnRequest, error: unknown): SpawnFailure {
  const { spec } = request;
  const code = (error as NodeJS.ErrnoException).code ?? 'Error';
  const hint = code === 'ENOENT' ? ' (check the command and that workingDir exists)' : '';
  const program = spec.shell ? '/bin/sh' : (spec.command[0] ?? '');
  return {
    // Node's message may quote an env value; a secret never reaches events or the state file.
    message: `cannot run "${program}" in ${spec.workingDir}: ${code}${hint}: ${redactSecrets((error as Error).message, spec)}`,
    cause: new Error(code),
  };
}
