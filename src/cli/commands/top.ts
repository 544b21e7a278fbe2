/**
 * `tend top [--sort cpu|mem|name]`: live resource use per instance, from the running controller's
 * latest samples. On a terminal the table refreshes every sampling interval and takes keys
 * (top-keys.ts: sort, filter, open an object's instances); otherwise (or with `-o json|yaml`) it
 * prints one snapshot. Needs `tend up`: nothing samples without it.
 */
import type { ObjectView } from '../../controller/status.ts';
import { callApi, controllerRunning } from '../../api/client.ts';
import { DEFAULT_MONITOR_INTERVAL_MS, nodeMonitorIntervalOf } from '../../monitor/monitor-interval.ts';
import { printData } from '../render/output.ts';
import { formatBytes, renderTable } from '../render/table.ts';
import { UsageError, type CliContext } from '../context.ts';
import { initialTop, pressKey, splitKeys, SORTS, type Sort, type TopState } from '../top-keys.ts';
import { paint } from '../render/color.ts';


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
  if (ctx.output === 'table' && process.stdout.isTTY && process.stdin.isTTY) return runInteractive(ctx, sort);
  const views = await fetchObjects(ctx.stateDir);
  const rows = topRows(views, sort);
  if (ctx.output !== 'table') printData(ctx.output, { items: rows });
  else process.stdout.write(renderTop(rows, monitorIntervalMs(views)));
  return 0;
}

// The live screen: redrawn every sampling interval and on every key, until q or Ctrl-C.
async function runInteractive(ctx: CliContext, sort: Sort): Promise<number> {
  let state = initialTop(sort);
  let views: ObjectView[] = await fetchObjects(ctx.stateDir);
  let shown: TopRow[] = [];
  const draw = (): void => {
    shown = visibleRows(views, state);
    if (state.selected >= shown.length) state = { ...state, selected: Math.max(0, shown.length - 1) };
    process.stdout.write(`\x1b[2J\x1b[H${topHeader(state)}\n${renderTop(shown, monitorIntervalMs(views), state.selected, ctx.color)}`);
  };
  process.stdin.setRawMode(true);
  process.stdin.setEncoding('utf8');
  process.stdin.resume();
  try {
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        void fetchObjects(ctx.stateDir).then((fresh) => {
          views = fresh;
          draw();
        }, resolve);
      }, monitorIntervalMs(views) || DEFAULT_MONITOR_INTERVAL_MS);
      process.stdin.on('data', (key: string) => {
        for (const one of splitKeys(key)) state = pressKey(state, one, (row) => visibleRows(views, state)[row]?.object);
        if (!state.quit) return draw();
        clearInterval(timer);
        resolve();
      });
      draw();
    });
  } finally {
    process.stdin.setRawMode(false);
    process.stdin.pause();
  }
  return 0;
}

function visibleRows(views: readonly ObjectView[], state: TopState): TopRow[] {
  const filter = state.filter.toLowerCase();
  return topRows(views, state.sort).filter(
    (r) => (!state.object || r.object === state.object) && (!filter || `${r.object} ${r.instance}`.toLowerCase().includes(filter)),
  );
}

function topHeader(state: TopState): string {
  const filter = state.editing ? `filter: ${state.filter}_` : state.filter ? `filter: ${state.filter}` : '';
  const scope = state.object ? `instances of ${state.object} (Esc: back)` : 'all instances (Enter: open object)';
  return [`sort: ${state.sort}`, scope, filter, 's sort  / filter  ↑↓ select  q quit'].filter(Boolean).join('   ');
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

/** The `top` table; `-` where an instance has no sample yet; row `selected` in reverse video. */
export function renderTop(rows: readonly TopRow[], intervalMs: number, selected = -1, color = false): string {
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
  const lines = table.split('\n').map((line, i) => (selected >= 0 && i === selected + 1 ? (color ? `\x1b[7m${line}\x1b[0m` : `> ${line}`) : color || selected < 0 ? line : `  ${line}`));
  const shown = lines.join('\n');
  return intervalMs > 0 ? shown : `${shown}${paint('sampling is off (kind: Node sets spec.monitor.interval: 0s)', 'yellow', color)}\n`;
}

// The interval the controller samples at: the Node object's spec.monitor.interval, else 1 s.
function monitorIntervalMs(views: readonly ObjectView[]): number {
  return nodeMonitorIntervalOf(views.find((v) => v.kind === 'Node')?.spec);
}
