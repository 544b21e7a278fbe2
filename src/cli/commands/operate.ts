/**
 * `tend start|stop|restart KIND/NAME`: an imperative override, recorded and shown by `get` until
 * the manifest changes or `start`. Through the running controller when there is one, else by a
 * one-off pass that waits until the affected processes have stopped or started.
 */
import { callApi, controllerRunning } from '../../api/client.ts';
import type { CliContext } from '../context.ts';
import { openForCommand, settle } from '../runtime.ts';
import { targetKey, withTarget } from '../target-arg.ts';

/** Runs `tend start|stop|restart`. */
export async function run(ctx: CliContext, verb: 'start' | 'stop' | 'restart', positionals: string[]): Promise<number> {
  if (await controllerRunning(ctx.stateDir)) {
    // An unknown object (404) is looked up by name, for the message that says what exists.
    const post = async (key: string) => {
      const answer = await callApi(ctx.stateDir, 'POST', `/v1/objects/${key}/${verb}`);
      return answer.status === 404 ? undefined : answer;
    };
    const target = await withTarget(ctx, positionals[0], post);
    if (target === undefined) return 1;
    const answer = target.found ?? { status: 404, body: { error: `unknown object ${target.key}` } };
    return report(answer.status === 200, target.key, verb, answer.body);
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
