/**
 * `tend up`: the controller in the foreground. Watches the manifests, reconciles, supervises and
 * serves the control API until SIGINT/SIGTERM, then stops every managed process gracefully and
 * exits 0. A second signal during shutdown exits at once (processes keep running, adopted later).
 * Prints one line per event (start, stop, exit, failure, ...) on stdout unless `--quiet`.
 */
import { startApiServer, socketPath } from '../../api/server.ts';
import { watchManifests } from '../../watch/watch-manifests.ts';
import type { CliContext } from '../context.ts';
import { handlersOf } from '../api-handlers.ts';
import { openRuntime } from '../runtime.ts';
import { actionLine } from '../render/action-line.ts';

const RESYNC_MS = 30_000;
const DEBOUNCE_MS = 5;

/** Runs `tend up`. */
export async function run(ctx: CliContext, values: Record<string, unknown>): Promise<number> {
  const opened = await openRuntime(ctx);
  if (!opened.ok) {
    process.stderr.write(`tend: another controller (pid ${opened.holderPid}) already manages state dir ${ctx.stateDir}\n`);
    return 1;
  }
  const rt = opened.runtime;
  const unsubscribe = values.quiet ? undefined : rt.events.subscribe((event) => process.stdout.write(actionLine(event, ctx.color)));
  await rt.reload();
  rt.sampler.start();
  await rt.controller.enqueueAll();
  const watcher = watchManifests({ dir: ctx.dir, debounceMs: DEBOUNCE_MS, onChange: () => void rt.reload() });
  const api = await startApiServer(ctx.stateDir, handlersOf(rt, ctx.stateDir), values.listen as string | undefined);
  const resync = setInterval(() => void rt.controller.enqueueAll(), RESYNC_MS);
  resync.unref();
  process.stderr.write(`tend: controller running (pid ${process.pid}); manifests ${ctx.dir}; state ${ctx.stateDir}; API ${socketPath(ctx.stateDir)}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const force = (): void => {
    process.stderr.write('tend: second signal, exiting without stopping processes\n');
    try {
      rt.save();
    } catch (error) {
      process.stderr.write(`tend: state file not written: ${(error as Error).message}\n`);
    }
    process.exit(1);
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  process.stderr.write(`tend: ${signal}, stopping every managed process\n`);
  clearInterval(resync);
  await watcher.close();
  await rt.controller.shutdown();
  unsubscribe?.();
  await api.close();
  await rt.close();
  return 0;
}
