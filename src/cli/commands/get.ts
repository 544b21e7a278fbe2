/**
 * `tend get [KIND[/NAME]] [-l k=v] [-w]`: objects and their instances, from the running controller
 * or, when none runs, from the state dir and /proc.
 */
import type { ObjectView } from '../../controller/status.ts';
import type { ObjectSummary } from '../../controller/status-summary.ts';
import { callApiBytesIfServed, callApiIfServed } from '../../api/client.ts';
import { indentJson } from '../render/json-indent.ts';
import { printData } from '../render/output.ts';
import { formatAge, formatBytes, renderTable } from '../render/table.ts';
import type { CliContext } from '../context.ts';
import { filterViews, keyOf, parseTarget } from '../views.ts';
import { renderJobs } from '../render/jobs-table.ts';
import { paintStatus } from '../render/color.ts';
import { targetKey } from '../target-arg.ts';

/** Runs `tend get`. */
export async function run(ctx: CliContext, values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const selector = values.selector as string | undefined;
  const named = await namedObject(ctx, positionals[0], selector);
  const target = named ? named.key : await targetOf(ctx, positionals[0]);
  if (target === null) return 1;
  let prefetched = named?.shown;
  const show = async (): Promise<void> => {
    if (!prefetched && ctx.output === 'json' && (await printListedJson(ctx, { kind: target, selector }))) return;
    const shown = prefetched ?? (await fetchShown(ctx, target, selector));
    prefetched = undefined;
    if ('views' in shown && ctx.output !== 'table') return printData(ctx.output, { items: shown.views });
    const text = 'views' in shown
      ? renderOrNone(shown.views, (views) => renderJobs(views, Date.now(), ctx.color))
      : renderOrNone(shown.summaries, (rows) => renderSummaries(rows, Date.now(), ctx.color));
    if (values.watch && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
    process.stdout.write(text);
  };
  await show();
  while (values.watch) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await show();
  }
  return 0;
}

/** What `get` prints: full views for `-o json|yaml` and the Jobs table, one-line summaries for any other table. */
type Shown = { readonly views: ObjectView[] } | { readonly summaries: ObjectSummary[] };

async function fetchShown(ctx: CliContext, target: string | undefined, selector: string | undefined): Promise<Shown> {
  const filter = { kind: target, selector };
  if (ctx.output !== 'table' || parseTarget(target).kind === 'Job') return { views: filterViews(await fetchViews(ctx, filter), target, selector) };
  return { summaries: filterViews(await fetchSummaries(ctx, filter), target, selector) };
}

/**
 * `KIND/NAME` of an object that exists (and matches the selector): its key and what `get` prints
 * of it, from one request for that object alone rather than the whole list first to check the
 * name. Undefined otherwise; then the name is looked up as before, for the message that says what
 * exists.
 */
async function namedObject(ctx: CliContext, target: string | undefined, selector: string | undefined): Promise<{ key: string; shown: Shown } | undefined> {
  if (target === undefined || !target.includes('/')) return undefined;
  const key = keyOf(target);
  const shown = await fetchShown(ctx, key, selector);
  return ('views' in shown ? shown.views : shown.summaries).length > 0 ? { key, shown } : undefined;
}

// A kind (`process`, `jobs`) filters; anything else must name an object (null: it names none).
async function targetOf(ctx: CliContext, target: string | undefined): Promise<string | undefined | null> {
  if (target === undefined || target === 'all') return undefined;
  if (!target.includes('/') && isKind(target)) return target;
  return (await targetKey(ctx, target)) ?? null;
}

function isKind(word: string): boolean {
  try {
    return parseTarget(word).kind !== undefined;
  } catch {
    return false;
  }
}

function renderOrNone<T>(items: readonly T[], render: (items: readonly T[]) => string): string {
  return items.length === 0 ? 'No objects found.\n' : render(items);
}

/**
 * Status views from the controller when one runs (one request, filtered by the controller), else
 * read offline; the offline reader (manifests, state file, /proc) is loaded only then.
 */
export async function fetchViews(ctx: CliContext, filter: ObjectFilter = {}): Promise<ObjectView[]> {
  const answer = await callApiIfServed(ctx.stateDir, 'GET', objectsPath(filter, false));
  if (answer) return (answer.body as { items: ObjectView[] }).items;
  const { offlineStatus, readOffline } = await import('../offline.ts');
  return offlineStatus(await readOffline(ctx));
}

const LIST_START = Buffer.from('{"items":[');

/**
 * `-o json` of a list from a running controller: its answer (filtered there, by the same
 * `filterViews`) indented as it is, not parsed and serialised again; what `printData` would print
 * of the same views. False when no controller answers with a list: the caller reads as usual.
 */
async function printListedJson(ctx: CliContext, filter: ObjectFilter): Promise<boolean> {
  const answer = await callApiBytesIfServed(ctx.stateDir, 'GET', objectsPath(filter, false));
  if (answer?.status !== 200 || !answer.bytes.subarray(0, LIST_START.length).equals(LIST_START)) return false;
  process.stdout.write(indentJson(answer.bytes));
  process.stdout.write('\n');
  return true;
}

/** One line per object (`?view=summary`), from the controller when one runs, else read offline. */
export async function fetchSummaries(ctx: CliContext, filter: ObjectFilter = {}): Promise<ObjectSummary[]> {
  const answer = await callApiIfServed(ctx.stateDir, 'GET', objectsPath(filter, true));
  if (answer) return (answer.body as { items: ObjectSummary[] }).items;
  const { offlineSummaries, readOffline } = await import('../offline.ts');
  return offlineSummaries(await readOffline(ctx));
}

interface ObjectFilter {
  readonly kind?: string | undefined;
  readonly selector?: string | undefined;
}

function objectsPath(filter: ObjectFilter, summary: boolean): string {
  const query = new URLSearchParams();
  if (filter.kind) query.set('kind', filter.kind);
  if (filter.selector) query.set('selector', filter.selector);
  if (summary) query.set('view', 'summary');
  return query.size > 0 ? `/v1/objects?${query.toString()}` : '/v1/objects';
}

// The phase, its reason unless obvious, and whether a fallback runs in the instances' place.
function statusText(s: ObjectSummary): string {
  const phase = s.status.phase === s.status.reason || s.status.reason === 'Ready' ? s.status.phase : `${s.status.phase} (${s.status.reason})`;
  return s.fallback ? `${phase}, fallback running` : phase;
}

/** The `get` table, one row per object summary; the status coloured when `color`. */
export function renderSummaries(rows: readonly ObjectSummary[], now: number, color = false): string {
  const cells = rows.map((s) => [
    s.key,
    `${s.status.readyReplicas}/${s.status.replicas}`,
    paintStatus(statusText(s), color),
    String(s.status.restarts),
    s.startedAt ? formatAge(Date.parse(s.startedAt), now) : '-',
    s.pids.length === 0 ? '-' : s.pids.join(','),
    s.usage ? `${s.usage.cpu.toFixed(1)}%` : '-',
    s.usage ? formatBytes(s.usage.memory) : '-',
    s.revision ? s.revision.slice(0, 8) : '-',
  ]);
  const headers = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'PID', 'CPU', 'MEM', 'REVISION'];
  // Pools add BUSY (leased workers) after READY; without pools the table is unchanged.
  if (!rows.some((s) => s.status.pool)) return renderTable(headers, cells);
  const busy = rows.map((s) => (s.status.pool ? String(s.status.pool.busy) : '-'));
  return renderTable([...headers.slice(0, 2), 'BUSY', ...headers.slice(2)], cells.map((r, i) => [...r.slice(0, 2), busy[i] ?? '-', ...r.slice(2)]));
}
