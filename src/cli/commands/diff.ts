/**
 * `tend diff`: what a reconcile would do now (start / stop / suspend / resume, and why others
 * wait), from the planner the loop runs. Exit 0 no drift, 1 drift, 2 invalid manifests.
 */
import type { Action } from '../../model/action.ts';
import { formatDiagnostic, type Diagnostic } from '../../model/diagnostic.ts';
import type { CliContext } from '../context.ts';
import { printData } from '../render/output.ts';
import { readOffline } from '../offline.ts';
import { callApiIfServed } from '../../api/client.ts';
import { actionView } from '../views.ts';

/** The part of an action a plan listing shows. */
export type PlanLine = Pick<Action, 'type' | 'object' | 'instance' | 'reason' | 'message'>;

/** What diff prints: the plan, and what the manifests' load said. */
interface DiffView {
  readonly plan: readonly PlanLine[];
  readonly diagnostics: readonly Diagnostic[];
  readonly dirError?: string | undefined;
}

/** Runs `tend diff`: asks the running controller when there is one, else reads offline. */
export async function run(ctx: CliContext): Promise<number> {
  const view: DiffView = (await planOfController(ctx)) ?? (await readOffline(ctx));
  for (const d of view.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (view.dirError) {
    process.stderr.write(`tend: ${view.dirError}\n`);
    return 2;
  }
  // Drift is any plan at all: a wait (Unschedulable, WaitingForDependency...) is desired work not running.
  const drift = view.plan.length > 0;
  if (ctx.output === 'table') process.stdout.write(drift ? renderPlan(view.plan) : 'No drift.\n');
  else printData(ctx.output, { drift, actions: view.plan.map(actionView) });
  if (view.diagnostics.some((d) => d.severity === 'error')) return 2;
  return drift ? 1 : 0;
}

const MARK: Readonly<Record<Action['type'], string>> = { start: '+', stop: '-', wait: '…', suspend: '‖', resume: '▶' };

/** One line per action: `+ start process/web web-0 (Create): message`. */
export function renderPlan(actions: readonly PlanLine[]): string {
  return actions.map((a) => `${MARK[a.type]} ${a.type} ${a.object} ${a.instance} (${a.reason}): ${a.message}\n`).join('');
}

// The running controller's plan over the manifests as they are now: its planner, its history
// and what it observes, without reading the whole state dir again. Undefined when none runs.
async function planOfController(ctx: CliContext): Promise<DiffView | undefined> {
  const answer = await callApiIfServed(ctx.stateDir, 'GET', '/v1/diff');
  if (!answer) return undefined;
  if (answer.status !== 200) throw new Error(`controller answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  const body = answer.body as { actions: PlanLine[]; diagnostics: Diagnostic[]; dirError?: string };
  return { plan: body.actions, diagnostics: body.diagnostics, dirError: body.dirError };
}
