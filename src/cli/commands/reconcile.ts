/**
 * `tend reconcile --once [--wait] [--timeout 2m] [--dry-run]`: one pass, then exit. Started
 * processes keep running and the next pass adopts them. When a `tend up` holds the state dir, the
 * pass is handed to it through the control API. Exit 0 converged/ok, 1 not converged or failed,
 * 2 invalid manifests or usage.
 */
import type { ObjectView } from '../../controller/status.ts';
import { isConverged } from '../../controller/status.ts';
import { callApi, controllerRunning } from '../../api/client.ts';
import { parseDuration } from '../../manifest/normalize.ts';
import { formatDiagnostic } from '../../model/diagnostic.ts';
import { UsageError, type CliContext } from '../context.ts';
import { printData } from '../render/output.ts';
import { readOffline } from '../offline.ts';
import { openRuntime, settle, type Runtime } from '../runtime.ts';
import { renderPlan, type PlanLine } from './diff.ts';
import { actionsOf } from '../../planner/plan-key.ts';
import type { KeyPlan } from '../../planner/key-plan.ts';
import { systemClock } from '../../platform/clock.ts';
import { actionView } from '../views.ts';

const POLL_MS = 100;
/** Without readiness probes, converged must hold this long, so a program that dies at once fails the wait. */
const STABLE_MS = 1000;

/** Runs `tend reconcile`. */
export async function run(ctx: CliContext, values: Record<string, unknown>): Promise<number> {
  if (!values.once) throw new UsageError('reconcile runs one pass and needs --once (tend up runs the loop)');
  const timeoutMs = parseDuration((values.timeout as string | undefined) ?? '2m');
  if (timeoutMs === undefined) throw new UsageError(`--timeout takes a duration like 2m (got "${String(values.timeout)}")`);
  if (values['dry-run']) return dryRun(ctx);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await controllerRunning(ctx.stateDir)) return handOff(ctx, values.wait === true, deadline);
    const passes: (readonly KeyPlan[])[] = [];
    const opened = await openRuntime(ctx, systemClock, { held: true, onPass: (plans) => passes.push(plans) });
    if (opened.ok) return runOnce(ctx, opened.runtime, { wait: values.wait === true, deadline, passes });
    if (Date.now() > deadline) {
      process.stderr.write(`tend: state dir ${ctx.stateDir} is held by pid ${opened.holderPid}, which does not answer\n`);
      return 1;
    }
    await sleep(POLL_MS);
  }
}

async function dryRun(ctx: CliContext): Promise<number> {
  const view = await readOffline(ctx);
  for (const d of view.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (view.dirError) process.stderr.write(`tend: ${view.dirError}\n`);
  printActions(ctx, view.plan);
  return view.dirError || view.diagnostics.some((d) => d.severity === 'error') ? 2 : 0;
}

// The pass plans every key at one moment and prints what it did: the plan a dry run prints.
async function runOnce(ctx: CliContext, rt: Runtime, run: { wait: boolean; deadline: number; passes: (readonly KeyPlan[])[] }): Promise<number> {
  const { wait, deadline, passes } = run;
  try {
    const loaded = await rt.reload();
    await rt.controller.enqueueAll();
    rt.controller.release();
    await rt.controller.idle();
    printActions(ctx, actionsOf(passes[0] ?? []));
    await settle(rt);
    if (loaded === 'unreadable') return 2;
    const code = wait ? await waitConverged(() => rt.status(), deadline) : 0;
    // What this pass's load found, not what earlier runs logged.
    return loaded === 'invalid' ? 2 : code;
  } finally {
    await rt.close();
  }
}

async function handOff(ctx: CliContext, wait: boolean, deadline: number): Promise<number> {
  const { status, body } = await callApi(ctx.stateDir, 'POST', '/v1/reconcile');
  if (status !== 200) {
    process.stderr.write(`tend: the running controller refused the pass: ${JSON.stringify(body)}\n`);
    return 1;
  }
  const result = body as { ok: boolean; actions: PlanLine[] };
  printActions(ctx, result.actions);
  if (!result.ok) return 2;
  if (!wait) return 0;
  return waitConverged(async () => ((await callApi(ctx.stateDir, 'GET', '/v1/objects')).body as { items: ObjectView[] }).items, deadline);
}

function printActions(ctx: CliContext, actions: readonly PlanLine[]): void {
  if (ctx.output === 'table') process.stdout.write(renderPlan(actions));
  else printData(ctx.output, { actions: actions.filter((a) => a.type !== 'wait').map(actionView) });
}

// Polls the status until converged (and stable), failed for good, or the deadline; prints changes.
async function waitConverged(read: () => Promise<ObjectView[]>, deadline: number): Promise<number> {
  let last = '';
  let stableSince: number | undefined;
  for (;;) {
    const views = await read();
    const progress = views.map((v) => `${v.key} ${v.status.readyReplicas}/${v.status.replicas} ${v.status.phase}`).join(', ');
    if (progress !== last) process.stderr.write(`waiting: ${progress || 'no objects'}\n`);
    last = progress;
    if (!isConverged(views)) stableSince = undefined;
    else if (Date.now() - (stableSince ??= Date.now()) >= STABLE_MS) {
      process.stderr.write(`converged: ${progress || 'no objects'}\n`);
      return 0;
    }
    const failed = views.filter((v) => v.status.phase === 'Failed');
    if (failed.length > 0) {
      process.stderr.write(`tend: failed: ${failed.map((v) => `${v.key} (${v.status.reason})`).join(', ')}\n`);
      return 1;
    }
    if (Date.now() > deadline) {
      process.stderr.write(`tend: not converged before the timeout: ${progress}\n`);
      return 1;
    }
    await sleep(POLL_MS);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
