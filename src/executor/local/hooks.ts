/**
 * Runs one lifecycle hook of an instance: its argv in the instance's working dir, as the user the
 * instance runs as, with the instance's environment minus the adoption marker (a hook is never
 * mistaken for the instance), its output appended to the instance's log files, in a process group
 * of its own that is SIGKILLed when the timeout cuts it or the hook is cancelled.
 * Failures are values, never throws.
 */
import { spawn } from 'node:child_process';
import type { Hook, HookName } from '../../model/object.ts';
import type { Clock } from '../../platform/clock.ts';
import { buildInstanceEnv, TEND_ENV } from './instance-env.ts';
import { hookEnded, hookStarting } from './hook-records.ts';
import { signalGroup } from './kill-group.ts';
import { closeLogFds, openLogFiles } from './log-files.ts';
import { runDirOf } from './run-dir.ts';
import { runAs, type SpawnContext, type SpawnRequest } from './spawn-instance.ts';

/** How a hook ended. */
export interface HookResult {
  readonly ok: boolean;
  readonly code: number | null;
  readonly signal: string | null;
  /** e.g. `preStart hook ./migrate.sh: exit code 3`, `... timed out after 5000 ms`. */
  readonly message: string;
}

/** A hook under way: its pid (0 when it could not start), how it ends, and how to cut it short. */
export interface RunningHook {
  readonly pid: number;
  readonly result: Promise<HookResult>;
  /** SIGKILLs the hook's group; `result` then resolves as not ok. */
  cancel(): void;
}

/** Starts `hook` (named `name`) for the instance of `request`; it is cut after `timeoutMs`. */
export function runHook(context: SpawnContext, request: SpawnRequest, name: HookName, hook: Hook, clock: Clock, timeoutMs = hook.timeoutMs): RunningHook {
  const label = `${name} hook ${hook.command.join(' ')}`;
  const fail = (message: string): RunningHook => ({ pid: 0, result: Promise.resolve({ ok: false, code: null, signal: null, message: `${label}: ${message}` }), cancel: () => undefined });
  const user = context.asRoot ? runAs(request.spec) : undefined;
  if (user && 'message' in user) return fail(user.message);
  const [file = '', ...args] = hook.command;
  const env = buildInstanceEnv({ base: context.baseEnv, spec: request.spec.env, stateId: context.stateId, marker: request, user, ports: request.spec.ports });
  delete env[TEND_ENV.stateId];
  env[TEND_ENV.hookOf] = context.stateId;
  env[TEND_ENV.hook] = name;
  let fds: { readonly out: number; readonly err: number } | undefined;
  try {
    fds = openLogFiles(context.stateDir, request.instance);
  } catch {
    fds = undefined;
  }
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  const record = hookStarting(runDirOf(context.stateDir));
  const child = spawn(file, args, { cwd: request.spec.workingDir, env, detached: true, stdio: ['ignore', fds?.out ?? 'ignore', fds?.err ?? 'ignore'], ...ids });
  if (fds) closeLogFds(fds.out, fds.err);
  // Not unref'd: a one-shot `reconcile --once` waits for its hooks.
  const pid = child.pid ?? 0;
  let why: string | undefined;
  const result = new Promise<HookResult>((resolve) => {
    let cancelTimer = (): void => undefined;
    const settle = (outcome: Omit<HookResult, 'message'>, message: string): void => {
      cancelTimer();
      hookEnded(record);
      resolve({ ...outcome, message: `${label}: ${message}` });
    };
    child.once('error', (error) => settle({ ok: false, code: null, signal: null }, `cannot run: ${error.message}`));
    child.once('exit', (code, signal) => {
      const status = why ?? (signal === null ? `exit code ${code ?? '?'}` : `killed by ${signal}`);
      settle({ ok: why === undefined && code === 0, code, signal }, status);
    });
    cancelTimer = clock.after(timeoutMs, () => {
      why = `timed out after ${timeoutMs} ms`;
      if (pid > 0) signalGroup(pid, 'SIGKILL');
    });
  });
  const cancel = (): void => {
    why ??= 'cancelled';
    if (pid > 0) signalGroup(pid, 'SIGKILL');
  };
  return { pid, result, cancel };
}
