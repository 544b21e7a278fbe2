/**
 * The `exec` probe: argv run with the instance's environment (without tend's adoption marker, so
 * a probe is never mistaken for an instance) in its working dir, as the user the instance runs
 * as; exit 0 is success. Its own process group is SIGKILLed when the timeout cuts it.
 */
import { spawn } from 'node:child_process';
import type { ProcessSpec } from '../model/object.ts';
import type { Clock } from '../platform/clock.ts';
import { TEND_ENV, workerPort } from '../executor/local/instance-env.ts';
import { runAs } from '../executor/local/spawn-instance.ts';
import { settleWithin, type ProbeOutcome } from './probe-outcome.ts';

/** Whom the probe is for. */
export interface ExecProbeTarget {
  readonly object: string;
  readonly instance: string;
  readonly replica: number;
  readonly spec: ProcessSpec;
}

const OUTPUT_LIMIT = 2048;

/** Runs `command` for `target`; fails on a non-zero exit, a spawn error, after `timeoutMs` or when `signal` aborts. */
export function probeExec(clock: Clock, command: readonly string[], target: ExecProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeOutcome> {
  return settleWithin(clock, timeoutMs, (settle) => {
    const [file = '', ...args] = command;
    const user = process.getuid?.() === 0 ? runAs(target.spec) : undefined;
    if (user && 'message' in user) {
      settle({ ok: false, message: user.message });
      return () => undefined;
    }
    const ids = user ? { uid: user.uid, gid: user.gid } : {};
    const child = spawn(file, args, { cwd: target.spec.workingDir, env: probeEnv(target), detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...ids });
    let output = '';
    const collect = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-OUTPUT_LIMIT));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('error', (error) => settle({ ok: false, message: `cannot run ${file}: ${error.message}` }));
    child.once('close', (code, signal) => settle({ ok: code === 0, message: exitMessage(code, signal, output) }));
    return () => killGroup(child.pid);
  }, signal);
}

function probeEnv(target: ExecProbeTarget): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...target.spec.env };
  env[TEND_ENV.name] = target.object.slice(target.object.indexOf('/') + 1);
  env[TEND_ENV.replica] = String(target.replica);
  env[TEND_ENV.instance] = target.instance;
  const port = workerPort(target.spec.ports, target.replica);
  if (port !== undefined) env[TEND_ENV.port] = String(port);
  delete env[TEND_ENV.stateId];
  return env;
}

function exitMessage(code: number | null, signal: NodeJS.Signals | null, output: string): string {
  const status = signal === null ? `exit code ${code ?? '?'}` : `killed by ${signal}`;
  const last = output.trim().split('\n').at(-1)?.trim() ?? '';
  return last === '' ? status : `${status}: ${last}`;
}

// The probe and anything it started; gone already is fine.
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group has exited.
  }
}
