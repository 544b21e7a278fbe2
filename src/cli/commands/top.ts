/**
 * `tend top [--sort cpu|mem|name]`: live resource use per instance, from the running controller's
 * latest samples. On a terminal the table refreshes every sampling interval; otherwise (or with
 * `-o json|yaml`) it prints one snapshot. Needs `tend up`: nothing samples without it.
 */
import type { ObjectView } from '../../controller/status.ts';
import { callApi, controllerRunning } from '../../api/client.ts';
import { DEFAULT_MONITOR_INTERVAL_MS, nodeMonitorIntervalOf } from '../../monitor/monitor-interval.ts';
import { printData } from '../render/output.ts';
import { formatBytes, renderTable } from '../render/table.ts';
import { UsageError, type CliContext } from '../context.ts';

const SORTS = ['cpu', 'mem', 'name'] as const;
type Sort = (typeof SORTS)[number];

/** One row of `tend top`. */
export interface TopRow {
  readonly object: string;
  readonly instance: string;
  readonly pid: number;
  readonly usage: ObjectView['instances'][number]['usage'] | null;
}

/** Runs `tend top`. */
export async function run(ctx: CliContext, values: Record<string, unknown>): Promise<number> {
  const sort = (values.sort ?? 'cpu') as Sort;
  if (!SORTS.includes(sort)) throw new UsageError(`--sort must be one of ${SORTS.join(', ')} (got "${String(values.sort)}")`);
  if (!(await controllerRunning(ctx.stateDir))) {
    process.stderr.write(`tend top: no controller runs on state dir ${ctx.stateDir}; resource use is sampled by \`tend up\`, start it first\n`);
    return 1;
  }
  const live = ctx.output === 'table' && process.stdout.isTTY;
  for (;;) {
    const views = await fetchObjects(ctx.stateDir);
    const rows = topRows(views, sort);
    if (ctx.output !== 'table') printData(ctx.output, { items: rows });
    else process.stdout.write(`${live ? '\x1b[2J\x1b[H' : ''}${renderTop(rows, monitorIntervalMs(views))}`);
    if (!live) return 0;
    await new Promise((resolve) => setTimeout(resolve, monitorIntervalMs(views) || DEFAULT_MONITOR_INTERVAL_MS));
  }
}

async function fetchObjects(stateDir: string): Promise<ObjectView[]> {
  const { body } = await callApi(stateDir, 'GET', '/v1/objects');
  return (body as { items: ObjectView[] }).items;
}

/** Every live instance, sorted by CPU or memory (highest first) or by name. */
export function topRows(views: readonly ObjectView[], sort: Sort): TopRow[] {
  const rows = views.flatMap((v) =>
    v.instances.flatMap((i) => (i.pid === null ? [] : [{ object: v.key, instance: i.id, pid: i.pid, usage: i.usage ?? null }])),
  );
  const figure = (row: TopRow): number => (sort === 'mem' ? row.usage?.memory : row.usage?.cpu) ?? -1;
  const byName = (a: TopRow, b: TopRow): number => (a.object === b.object ? a.instance.localeCompare(b.instance) : a.object.localeCompare(b.object));
  return rows.sort((a, b) => (sort === 'name' ? byName(a, b) : figure(b) - figure(a) || byName(a, b)));
}

/** The `top` table; `-` where an instance has no sample yet. */
export function renderTop(rows: readonly TopRow[], intervalMs: number): string {
  if (rows.length === 0) return 'No running instances.\n';
  const rate = (n: number | undefined): string => (n === undefined ? '-' : `${formatBytes(n)}/s`);
  const table = renderTable(
    ['OBJECT', 'INSTANCE', 'PID', 'CPU', 'MEM', 'FDS', 'THREADS', 'READ/s', 'WRITE/s', 'SOCKETS'],
    rows.map(({ object, instance, pid, usage: u }) => [
      object, instance, String(pid),
      u ? `${u.cpu.toFixed(1)}%` : '-', u ? formatBytes(u.memory) : '-', u ? String(u.fds) : '-', u ? String(u.threads) : '-',
      rate(u?.diskReadBps), rate(u?.diskWriteBps), u ? String(u.sockets) : '-',
    ]),
  );
  return intervalMs > 0 ? table : `${table}sampling is off (kind: Node sets spec.monitor.interval: 0s)\n`;
}

// The interval the controller samples at: the Node object's spec.monitor.interval, else 1 s.
function monitorIntervalMs(views: readonly ObjectView[]): number {
  return nodeMonitorIntervalOf(views.find((v) => v.kind === 'Node')?.spec);
}
