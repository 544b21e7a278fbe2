/**
 * `tend start|stop|restart KIND/NAME`: an imperative override, recorded and shown by `get` until
 * the manifest changes or `start`. Through the running controller when there is one, else by a
 * one-off pass that waits until the affected processes have stopped or started.
 */
import { callApi, controllerRunning } from '../../api/client.ts';
import type { CliContext } from '../context.ts';
import { openForCommand, settle } from '../runtime.ts';
import { targetKey } from '../target-arg.ts';

/** Runs `tend start|stop|restart`. */
export async function run(ctx: CliContext, verb: 'start' | 'stop' | 'restart', positionals: string[]): Promise<number> {
  if (await controllerRunning(ctx.stateDir)) {
    const key = await targetKey(ctx, positionals[0]);
    if (key === undefined) return 1;
    const { status, body } = await callApi(ctx.stateDir, 'POST', `/v1/objects/${key}/${verb}`);
    return report(status === 200, key, verb, body);
  }
  const rt = await openForCommand(ctx);
  if (!rt) return 1;
  try {
    await rt.reload();
    const key = await targetKey(ctx, positionals[0], [...rt.controller.desired().objects.keys()]);
    if (key === undefined) return 1;
    const known = rt.controller.operate(key, verb);
    if (known) await settle(rt);
    return report(known, key, verb, { error: `unknown object ${key}` });
  } finally {
    await rt.close();
  }
}

function report(ok: boolean, key: string, verb: string, body: unknown): number {
  if (ok) {
    process.stdout.write(`${key} ${verb === 'stop' ? 'stopped' : verb === 'start' ? 'started' : 'restarted'}\n`);
    return 0;
  }
  process.stderr.write(`tend: ${(body as { error?: string }).error ?? `cannot ${verb} ${key}`}\n`);
  return 1;
}
