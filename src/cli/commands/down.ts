/**
 * `tend down`: stops every managed program on purpose, in reverse dependency order with hooks and
 * grace periods, and the controller with them. A running controller is asked through the API
 * (POST /v1/shutdown) and waited for until its process is gone; with none running, the programs a
 * controller left behind (`tend up --leave-running`, a crash, `reconcile --once`) are adopted from
 * the state dir and stopped here. Exit 0 once nothing runs; 1 when the controller did not end
 * within `--timeout`.
 */
import { callApiIfServed } from '../../api/client.ts';
import { parseDuration } from '../../manifest/normalize.ts';
import { UsageError, type CliContext } from '../context.ts';
import { openForCommand } from '../runtime.ts';
import { isRunning } from '../../platform/proc.ts';

const POLL_MS = 50;

/** Runs `tend down`. */
export async function run(ctx: CliContext, values: Record<string, unknown>): Promise<number> {
  const timeoutMs = timeoutOf(values.timeout);
  const answer = await callApiIfServed(ctx.stateDir, 'POST', '/v1/shutdown');
  if (answer) {
    if (answer.status !== 202) {
      process.stderr.write(`tend: the controller refused to shut down: ${(answer.body as { error?: string }).error ?? answer.status}\n`);
      return 1;
    }
    const { pid, stopping } = answer.body as { pid: number; stopping: number };
    process.stderr.write(`tend: controller (pid ${pid}) stopping ${stopping} instances\n`);
    if (!(await gone(pid, timeoutMs))) {
      process.stderr.write(`tend: controller (pid ${pid}) still running after ${typeof values.timeout === 'string' ? values.timeout : '5m'}\n`);
      return 1;
    }
    process.stdout.write(`stopped ${stopping} instances and the controller\n`);
    return 0;
  }
  return stopLeftBehind(ctx);
}

// No controller: adopt what the state dir records and stop it all.
async function stopLeftBehind(ctx: CliContext): Promise<number> {
  // Held: no pass runs, so nothing is started only to be stopped.
  const rt = await openForCommand(ctx, { held: true });
  if (!rt) return 1;
  try {
    await rt.reload();
    const running = rt.executor.snapshot().filter((i) => i.state !== 'exited').length;
    await rt.controller.shutdown();
    process.stdout.write(`stopped ${running} instances\n`);
    return 0;
  } finally {
    await rt.close();
  }
}

async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return !isRunning(pid);
}

function timeoutOf(value: unknown): number {
  const text = typeof value === 'string' ? value : '5m';
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`--timeout takes a duration like 30s or 5m (got "${text}")`);
  return ms;
}
