/** `tend describe KIND/NAME`: spec summary, instances, last exits, probe results and recent events of one object. */
import type { TendEvent } from '../../model/event.ts';
import type { ObjectView } from '../../controller/status.ts';
import { callApi, controllerRunning } from '../../api/client.ts';
import { printData } from '../render/output.ts';
import { renderLimits } from '../render/limits.ts';
import { formatAge, formatBytes, renderTable } from '../render/table.ts';
import type { CliContext } from '../context.ts';
import { offlineStatus, readOffline } from '../offline.ts';
import { describeItem } from '../views.ts';
import { withTarget } from '../target-arg.ts';
import { formatEvent, readEventLog } from './events.ts';
import { poolLines } from '../render/pool.ts';
import { renderSpec } from '../render/spec-yaml.ts';

type Item = ObjectView & { events: TendEvent[] };

/** Runs `tend describe`. */
export async function run(ctx: CliContext, _values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const target = await withTarget(ctx, positionals[0], (key) => fetchItem(ctx, key));
  if (target === undefined) return 1;
  const item = target.found;
  if (!item) {
    process.stderr.write(`tend: unknown object ${target.key}\n`);
    return 1;
  }
  if (ctx.output !== 'table') printData(ctx.output, item);
  else process.stdout.write(renderItem(item, Date.now()));
  return 0;
}

async function fetchItem(ctx: CliContext, key: string): Promise<Item | undefined> {
  if (await controllerRunning(ctx.stateDir)) {
    const { status, body } = await callApi(ctx.stateDir, 'GET', `/v1/objects/${key}`);
    return status === 200 ? (body as Item) : undefined;
  }
  return describeItem(offlineStatus(await readOffline(ctx)), readEventLog(ctx.stateDir), key) as Item | undefined;
}

function renderItem(item: Item, now: number): string {
  const spec = item.spec ?? {};
  const lines = [
    `Name:         ${item.name}`,
    `Kind:         ${item.kind}`,
    `Labels:       ${Object.entries(item.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '<none>'}`,
    `Source:       ${item.source ?? '<gone from the manifests>'}`,
    `Generation:   ${item.generation}`,
    `Revision:     ${item.revision || '-'}`,
    `Status:       ${item.status.phase} (${item.status.reason}), ${item.status.readyReplicas}/${item.status.replicas} ready, ${item.status.restarts} restarts`,
    ...(item.status.override ? [`Override:     ${item.status.override.type} at ${item.status.override.at}`] : []),
    ...(item.status.dependencies ?? []).map((d, i) => `${i === 0 ? 'Depends on:  ' : '             '} ${d.message} (${d.met ? 'met' : d.failed ? 'failed for good' : 'not met'})`),
    ...(item.status.circuit ? [`Circuit:      ${circuitLine(item)}`] : []),
    ...(item.status.pool ? poolLines(item.status.pool) : []),
    ...schedulingLines(item),
    `Spec:`,
    ...renderSpec(item.manifest ?? spec),
    `Instances:`,
  ];
  const rows = item.instances.map((i) => [
    i.id,
    i.phase,
    i.reason,
    i.pid === null ? '-' : String(i.pid),
    String(i.restarts),
    i.startedAt ? formatAge(Date.parse(i.startedAt), now) : '-',
    i.lastExit ? `${i.lastExit.signal ?? `code ${i.lastExit.code ?? '?'}`} (${i.lastExit.reason}) at ${i.lastExit.at}` : '-',
  ]);
  const table = rows.length ? renderTable(['ID', 'PHASE', 'REASON', 'PID', 'RESTARTS', 'AGE', 'LAST EXIT'], rows) : '<none>\n';
  const probes = renderProbes(item, now);
  const events = item.events.length ? item.events.map((e) => formatEvent(e)).join('\n') + '\n' : '<none>\n';
  return `${lines.join('\n')}\n${indent(table)}${probes}${renderLimits(item, indent)}${renderFailures(item)}Events:\n${indent(events)}`;
}

// The breaker's state, and the fallback instances running in the primaries' place.
function circuitLine(item: Item): string {
  const circuit = item.status.circuit;
  const since = circuit?.openedAt ? ` (opened ${circuit.openedAt})` : '';
  const fallbacks = item.instances.filter((i) => i.fallback && i.pid !== null).map((i) => `${i.id} pid ${i.pid ?? '-'}`);
  return `${circuit?.state ?? 'Closed'}${since}${fallbacks.length ? `; fallback running: ${fallbacks.join(', ')}` : ''}`;
}

// One row per probe of each instance: its last result, streak and message.
// The last ten failures, with the stderr each left, and the recovery statistics.
function renderFailures(item: Item): string {
  const { failures, recovery } = item.status;
  if (failures.length === 0) return '';
  const rate = recovery.recoveryRate === null ? '-' : `${Math.round(recovery.recoveryRate * 100)} %`;
  const mttr = recovery.meanTimeToRecoverMs === null ? '-' : `${Math.round(recovery.meanTimeToRecoverMs)} ms`;
  const rows = failures.slice(-10).map((f) => [f.at, f.instance, f.type, f.signal ?? `code ${f.exitCode ?? '?'}`, f.recoveredAt ?? '-', f.message ?? (f.stderrTail ?? '').split('\n').at(-1) ?? '']);
  const table = renderTable(['AT', 'INSTANCE', 'TYPE', 'EXIT', 'RECOVERED', 'WHY / LAST STDERR LINE'], rows);
  return `Failures:     ${recovery.failures}, recovered ${recovery.recoveries} (${rate}), mean time to recover ${mttr}\n${indent(table)}`;
}

function renderProbes(item: Item, now: number): string {
  const rows = item.instances.flatMap((i) =>
    Object.entries(i.probes ?? {}).map(([kind, p]) => [
      i.id,
      kind,
      p.ok ? 'ok' : 'failed',
      String(p.ok ? p.successes : p.failures),
      `${formatAge(Date.parse(p.at), now)} ago`,
      p.message,
    ]),
  );
  return rows.length ? `Probes:\n${indent(renderTable(['INSTANCE', 'PROBE', 'RESULT', 'IN A ROW', 'LAST', 'MESSAGE'], rows))}` : '';
}

// A Job's run and queue place, and the machine's scheduling figures (Jobs and the Node).
function schedulingLines(item: Item): string[] {
  const { job, scheduling } = item.status;
  const lines: string[] = [];
  if (job) {
    lines.push(`Completions:  ${job.succeeded}/${job.completions} succeeded, ${job.active} active (${job.suspended} suspended), ${job.retries} retries, ${job.requeues} requeues`);
    lines.push(`Priority:     ${job.priority}${job.queuePosition === undefined ? '' : `, queue position ${job.queuePosition}`}`);
  }
  if (scheduling) {
    const use = Object.keys(scheduling.capacity).map((name) => `${name} ${amount(name, scheduling.used[name] ?? 0)}/${amount(name, scheduling.capacity[name] ?? 0)} (${Math.round((scheduling.utilization[name] ?? 0) * 100)} %)`);
    lines.push(`Scheduling:   ${scheduling.running} running, ${scheduling.suspended} suspended, ${scheduling.queued} queued; ${use.join(', ')}`);
  }
  return lines;
}

function amount(name: string, value: number): string {
  if (name === 'memory' || name === 'disk') return formatBytes(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function indent(text: string): string {
  return text.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n');
}

