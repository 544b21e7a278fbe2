/**
 * `tend up`: the controller in the foreground. Watches the manifests, reconciles, supervises and
 * serves the control API until SIGINT/SIGTERM, then stops every managed process gracefully and
 * exits 0. The signal is honoured from the moment `up` starts: one that arrives while the
 * manifests load or programs are being brought up stops the bring-up (nothing more is launched),
 * stops what was started and exits 0. A second signal during shutdown exits at once (processes
 * keep running, adopted later). With `--leave-running` a signal ends only the controller: the
 * programs keep running and the next controller adopts them (the systemd unit runs it so, so
 * `systemctl restart tend` restarts nothing); `tend down` (POST /v1/shutdown) stops the programs
 * and the controller on purpose. The API serves from before the first load, so `tend get`
 * answers throughout the bring-up. Prints one line per event (start, stop, exit, failure, ...)
 * on stdout unless `--quiet`.
 */
import { startApiServer, socketPath } from '../../api/server.ts';
import { watchManifests } from '../../watch/watch-manifests.ts';
import type { CliContext } from '../context.ts';
import { handlersOf } from '../api-handlers.ts';
import { openRuntime, type Runtime } from '../runtime.ts';
import { actionLine } from '../render/action-line.ts';

const RESYNC_MS = 30_000;
const DEBOUNCE_MS = 5;

/** Why the controller ends: a signal, or `tend down` asking through the API. */
type Ending = { readonly by: NodeJS.Signals } | { readonly by: 'down' };

/** Runs `tend up`. */
export async function run(ctx: CliContext, values: Record<string, unknown>): Promise<number> {
  const signals = listenForStop();
  const opened = await openRuntime(ctx);
  if (!opened.ok) {
    signals.dispose();
    process.stderr.write(`tend: another controller (pid ${opened.holderPid}) already manages state dir ${ctx.stateDir}\n`);
    return 1;
  }
  const rt = opened.runtime;
  // From the signal on, nothing more is launched (a bring-up under way stops where it is).
  void signals.first.then(() => rt.controller.close());
  const unsubscribe = values.quiet ? undefined : rt.events.subscribe((event) => process.stdout.write(actionLine(event, ctx.color)));
  let down: () => void = () => undefined;
  const downed = new Promise<Ending>((resolve) => (down = () => resolve({ by: 'down' })));
  const api = await startApiServer(ctx.stateDir, handlersOf(rt, ctx.stateDir, () => down()), values.listen as string | undefined);
  const running = signals.received() ? undefined : await bringUp(ctx, rt, signals.received);
  const end = await Promise.race([signals.first.then((by): Ending => ({ by })), downed]);
  signals.dispose();
  process.once('SIGINT', () => forceExit(rt));
  process.once('SIGTERM', () => forceExit(rt));
  if (running) clearInterval(running.resync);
  await running?.watcher.close();
  if (end.by !== 'down' && values['leave-running']) {
    await api.close();
    unsubscribe?.();
    await leave(rt, end.by);
    return 0;
  }
  process.stderr.write(`tend: ${end.by === 'down' ? 'tend down' : end.by}, stopping every managed process\n`);
  await rt.controller.shutdown();
  unsubscribe?.();
  await api.close();
  await rt.close();
  return 0;
}

// The controller goes; its programs stay, recorded in the state file for the next one to adopt.
async function leave(rt: Runtime, signal: NodeJS.Signals): Promise<void> {
  const running = rt.executor.snapshot().filter((i) => i.state !== 'exited').length;
  rt.events.record({ object: 'controller', type: 'Normal', reason: 'ControllerLeft', message: `${signal}: controller exiting, ${running} instances left running for the next controller to adopt` });
  process.stderr.write(`tend: ${signal}, exiting; ${running} instances keep running (tend down stops them)\n`);
  await rt.close();
}

// Watches, loads, starts sampling and enqueues everything; each step only while no signal came.
// The watcher comes first so no edit made during the first load is missed.
async function bringUp(ctx: CliContext, rt: Runtime, stopped: () => boolean): Promise<{ watcher: { close(): Promise<void> }; resync: NodeJS.Timeout } | undefined> {
  const watcher = watchManifests({
    dir: ctx.dir,
    debounceMs: DEBOUNCE_MS,
    onChange: () => void rt.reload(),
    onProblem: (message) => rt.events.record({ object: 'controller', type: 'Warning', reason: 'ManifestWatchFailed', message }),
  });
  rt.watchWith(watcher);
  await rt.reload();
  if (!stopped()) {
    rt.sampler.start();
    await rt.controller.enqueueAll();
  }
  if (stopped()) {
    await watcher.close();
    return undefined;
  }
  const resync = setInterval(() => void rt.controller.enqueueAll(), RESYNC_MS);
  resync.unref();
  process.stderr.write(`tend: controller running (pid ${process.pid}); manifests ${ctx.dir}; state ${ctx.stateDir}; API ${socketPath(ctx.stateDir)}\n`);
  return { watcher, resync };
}

// The first SIGINT or SIGTERM, listened for from the start.
function listenForStop(): { first: Promise<NodeJS.Signals>; received: () => boolean; dispose: () => void } {
  let got: NodeJS.Signals | undefined;
  let resolveFirst: (signal: NodeJS.Signals) => void = () => undefined;
  const first = new Promise<NodeJS.Signals>((resolve) => (resolveFirst = resolve));
  const on = (signal: NodeJS.Signals): void => {
    got ??= signal;
    resolveFirst(signal);
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    first,
    received: () => got !== undefined,
    dispose: () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}

function forceExit(rt: Runtime): void {
  process.stderr.write('tend: second signal, exiting without stopping processes\n');
  try {
    rt.save();
  } catch (error) {
    process.stderr.write(`tend: state file not written: ${(error as Error).message}\n`);
  }
  process.exit(1);
}
