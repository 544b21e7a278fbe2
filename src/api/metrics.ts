/** Prometheus text exposition of the status views; every name starts with `tend_`. */
import type { ObjectView } from '../controller/status.ts';
import type { ProbeTiming } from '../model/health.ts';
import type { ResourceUsage } from '../model/usage.ts';
import { poolFamilies } from './pool-metrics.ts';

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter' | 'summary';
  readonly samples: string[];
}

/** What the controller's status keeping did (cli/status-keeper.ts). */
export interface StatusKeeping {
  /** Background builds run (one per manifest load that changed something, coalesced). */
  readonly fills: number;
  readonly filled: number;
  readonly provisional: number;
  readonly mostPlanned: number;
  /** Loads of the manifest directory so far. */
  readonly loads?: number;
}

/** Renders `/metrics`. */
export function renderMetrics(views: readonly ObjectView[], probes?: ProbeTiming, status?: StatusKeeping): string {
  const family = (name: string, type: Family['type'], help: string): Family => ({ name, type, help, samples: [] });
  const up = family('tend_instance_up', 'gauge', '1 when the instance runs, else 0');
  const restarts = family('tend_instance_restarts_total', 'counter', 'restarts of the instance slot');
  const ready = family('tend_object_ready_replicas', 'gauge', 'ready instances of the object');
  const replicas = family('tend_object_replicas', 'gauge', 'desired instances of the object');
  const usage = USAGE_GAUGES.map(([field, name, help]) => ({ field, ...family(name, 'gauge', help) }));
  const limit = family('tend_instance_limit', 'gauge', 'resource limit of the instance (bytes, bytes per second, count, or CPU cores), labelled by how it is enforced');
  const alert = family('tend_instance_alert', 'gauge', '1 for each open resource alert of the instance, labelled by resource and severity');
  for (const view of views) {
    const objectLabels = `kind="${view.kind}",name="${escape(view.name)}"`;
    ready.samples.push(`{${objectLabels}} ${view.status.readyReplicas}`);
    replicas.samples.push(`{${objectLabels}} ${view.status.replicas}`);
    for (const instance of view.instances) {
      const labels = `{${objectLabels},instance="${escape(instance.id)}"}`;
      up.samples.push(`${labels} ${instance.pid === null ? 0 : 1}`);
      restarts.samples.push(`${labels} ${instance.restarts}`);
      for (const gauge of usage) {
        const value = instance.usage?.[gauge.field];
        if (value !== undefined) gauge.samples.push(`${labels} ${value}`);
      }
      for (const [resource, l] of Object.entries(instance.limits ?? {})) {
        limit.samples.push(`{${objectLabels},instance="${escape(instance.id)}",resource="${resource}",enforcement="${l.enforcement}"} ${l.limit}`);
      }
    }
    for (const a of view.status.alerts) {
      alert.samples.push(`{${objectLabels},instance="${escape(a.instance)}",resource="${a.resource}",severity="${a.severity}"} 1`);
    }
  }
  const families: Family[] = [up, restarts, ready, replicas, ...usage, limit, alert, ...schedulingFamilies(views)];
  families.push(...poolFamilies(views, escape));
  if (probes) families.push(probeDelayFamily(probes));
  if (status) families.push(...statusFamilies(status));
  return families
    .map((f) => [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.samples.map((s) => `${f.name}${s}`)].join('\n'))
    .join('\n')
    .concat('\n');
}

// One gauge per usage figure, for instances the monitor has sampled.
const USAGE_GAUGES: readonly (readonly [keyof ResourceUsage, string, string])[] = [
  ['cpu', 'tend_instance_cpu_percent', 'CPU of the instance process group, percent of one core'],
  ['memory', 'tend_instance_memory_bytes', 'resident memory of the instance process group'],
  ['fds', 'tend_instance_fds', 'open file descriptors of the instance process group'],
  ['threads', 'tend_instance_threads', 'threads of the instance process group'],
  ['diskReadBps', 'tend_instance_disk_read_bytes_per_second', 'bytes per second read from storage by the instance process group'],
  ['diskWriteBps', 'tend_instance_disk_write_bytes_per_second', 'bytes per second written to storage by the instance process group'],
  ['sockets', 'tend_instance_sockets', 'open sockets of the instance process group'],
];

// How late probes start against their schedule, over the recent launches, as a summary.
function probeDelayFamily(probes: ProbeTiming): Family {
  const seconds = (msValue: number): string => String(msValue / 1000);
  return {
    name: 'tend_probe_delay_seconds',
    type: 'summary',
    help: 'how late probes start against their schedule (recent launches)',
    samples: [`{quantile="0.5"} ${seconds(probes.p50Ms)}`, `{quantile="0.99"} ${seconds(probes.p99Ms)}`, `{quantile="1"} ${seconds(probes.maxMs)}`, `_count ${probes.launched}`],
  };
}

// How the status `tend get` reads was kept: made in the background after loads, or by answers.
function statusFamilies(status: StatusKeeping): Family[] {
  return [
    { name: 'tend_status_fills_total', type: 'counter', help: 'background status builds run after manifest loads that changed objects or the revision', samples: [` ${status.fills}`] },
    { name: 'tend_status_filled_keys_total', type: 'counter', help: 'object statuses planned and built in the background after manifest loads', samples: [` ${status.filled}`] },
    { name: 'tend_status_provisional_keys_total', type: 'counter', help: 'object statuses answered with nothing planned while the background build had not reached them', samples: [` ${status.provisional}`] },
    ...(status.loads === undefined ? [] : [{ name: 'tend_manifest_loads_total', type: 'counter' as const, help: 'loads of the manifest directory (a change seen by the watcher, a diff after one, a reconcile request)', samples: [` ${status.loads}`] }]),
    { name: 'tend_status_answer_planned_keys_max', type: 'gauge', help: 'the most object statuses one answer of the object list planned itself', samples: [` ${status.mostPlanned}`] },
  ];
}

// The scheduler's queue and use of capacity, from the Node's view (or any Job's: they carry the same).
function schedulingFamilies(views: readonly ObjectView[]): Family[] {
  const stats = views.find((v) => v.status.scheduling !== undefined)?.status.scheduling;
  if (stats === undefined) return [];
  const gauge = (name: string, help: string, samples: string[]): Family => ({ name, type: 'gauge', help, samples });
  const names = Object.keys(stats.capacity);
  return [
    gauge('tend_scheduler_queued', 'instances waiting for capacity', [` ${stats.queued}`]),
    gauge('tend_scheduler_running', 'scheduled instances running', [` ${stats.running}`]),
    gauge('tend_scheduler_suspended', 'instances suspended by preemption or time slicing', [` ${stats.suspended}`]),
    gauge('tend_scheduler_capacity', 'the Node capacity per resource (cpu in cores, memory in bytes)', names.map((n) => `{resource="${escape(n)}"} ${stats.capacity[n] ?? 0}`)),
    gauge('tend_scheduler_used', 'what running instances reserve plus the memory suspended ones keep', names.map((n) => `{resource="${escape(n)}"} ${stats.used[n] ?? 0}`)),
    gauge('tend_scheduler_utilization_ratio', 'used / capacity per resource', names.map((n) => `{resource="${escape(n)}"} ${stats.utilization[n] ?? 0}`)),
  ];
}

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
