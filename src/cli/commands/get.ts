/**
 * `tend get [KIND[/NAME]] [-l k=v] [-w]`: objects and their instances, from the running controller
 * or, when none runs, from the state dir and /proc.
 */
import type { ObjectView } from '../../controller/status.ts';
import { callApiIfServed } from '../../api/client.ts';
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
  let prefetched = named?.views;
  const show = async (): Promise<void> => {
    const views = filterViews(prefetched ?? (await fetchViews(ctx, { kind: target, selector })), target, selector);
    prefetched = undefined;
    if (ctx.output !== 'table') return printData(ctx.output, { items: views });
    if (values.watch && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
    const jobs = parseTarget(target).kind === 'Job';
    process.stdout.write(views.length === 0 ? 'No objects found.\n' : jobs ? renderJobs(views, Date.now(), ctx.color) : renderViews(views, Date.now(), ctx.color));
  };
  await show();
  while (values.watch) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await show();
  }
  return 0;
}

/**
 * `KIND/NAME` of an object that exists (and matches the selector): its key and views, from one
 * request for that object alone rather than the whole list first to check the name. Undefined
 * otherwise; then the name is looked up as before, for the message that says what exists.
 */
async function namedObject(ctx: CliContext, target: string | undefined, selector: string | undefined): Promise<{ key: string; views: ObjectView[] } | undefined> {
  if (target === undefined || !target.includes('/')) return undefined;
  const key = keyOf(target);
  const views = await fetchViews(ctx, { kind: key, selector });
  return filterViews(views, key, selector).length > 0 ? { key, views } : undefined;
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

/**
 * Status views from the controller when one runs (one request, filtered by the controller), else
 * read offline; the offline reader (manifests, state file, /proc) is loaded only then.
 */
export async function fetchViews(ctx: CliContext, filter: { kind?: string | undefined; selector?: string | undefined } = {}): Promise<ObjectView[]> {
  const query = new URLSearchParams();
  if (filter.kind) query.set('kind', filter.kind);
  if (filter.selector) query.set('selector', filter.selector);
  const path = query.size > 0 ? `/v1/objects?${query.toString()}` : '/v1/objects';
  const answer = await callApiIfServed(ctx.stateDir, 'GET', path);
  if (answer) return (answer.body as { items: ObjectView[] }).items;
  const { offlineStatus, readOffline } = await import('../offline.ts');
  return offlineStatus(await readOffline(ctx));
}

// The phase, its reason unless obvious, and whether a fallback runs in the instances' place.
function statusText(v: ObjectView): string {
  const phase = v.status.phase === v.status.reason || v.status.reason === 'Ready' ? v.status.phase : `${v.status.phase} (${v.status.reason})`;
  return v.instances.some((i) => i.fallback && i.pid !== null) ? `${phase}, fallback running` : phase;
}

/** The `get` table; the status coloured when `color`. */
export function renderViews(views: readonly ObjectView[], now: number, color = false): string {
  const rows = views.map((v) => {
    const live = v.instances.filter((i) => i.pid !== null);
    const oldest = Math.min(...live.map((i) => Date.parse(i.startedAt ?? '')).filter(Number.isFinite));
    const usage = live.map((i) => (i as { usage?: { cpu?: number; memory?: number } }).usage).filter((u) => u !== undefined);
    return [
      `${v.key}`,
      `${v.status.readyReplicas}/${v.status.replicas}`,
      paintStatus(statusText(v), color),
      String(v.status.restarts),
      Number.isFinite(oldest) ? formatAge(oldest, now) : '-',
      live.length === 0 ? '-' : live.map((i) => i.pid).join(','),
      usage.length === 0 ? '-' : `${usage.reduce((n, u) => n + (u.cpu ?? 0), 0).toFixed(1)}%`,
      usage.length === 0 ? '-' : formatBytes(usage.reduce((n, u) => n + (u.memory ?? 0), 0)),
      v.revision ? v.revision.slice(0, 8) : '-',
    ];
  });
  const headers = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'PID', 'CPU', 'MEM', 'REVISION'];
  // Pools add BUSY (leased workers) after READY; without pools the table is unchanged.
  if (!views.some((v) => v.status.pool)) return renderTable(headers, rows);
  const busy = views.map((v) => (v.status.pool ? String(v.status.pool.busy) : '-'));
  return renderTable([...headers.slice(0, 2), 'BUSY', ...headers.slice(2)], rows.map((r, i) => [...r.slice(0, 2), busy[i] ?? '-', ...r.slice(2)]));
}
