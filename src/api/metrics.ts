/** Prometheus text exposition of the status views; every name starts with `tend_`. */
import type { ObjectView } from '../controller/status.ts';

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly samples: string[];
}

/** Renders `/metrics`. */
export function renderMetrics(views: readonly ObjectView[]): string {
  const family = (name: string, type: Family['type'], help: string): Family => ({ name, type, help, samples: [] });
  const up = family('tend_instance_up', 'gauge', '1 when the instance runs, else 0');
  const restarts = family('tend_instance_restarts_total', 'counter', 'restarts of the instance slot');
  const ready = family('tend_object_ready_replicas', 'gauge', 'ready instances of the object');
  const replicas = family('tend_object_replicas', 'gauge', 'desired instances of the object');
  for (const view of views) {
    const objectLabels = `kind="${view.kind}",name="${escape(view.name)}"`;
    ready.samples.push(`{${objectLabels}} ${view.status.readyReplicas}`);
    replicas.samples.push(`{${objectLabels}} ${view.status.replicas}`);
    for (const instance of view.instances) {
      const labels = `{${objectLabels},instance="${escape(instance.id)}"}`;
      up.samples.push(`${labels} ${instance.pid === null ? 0 : 1}`);
      restarts.samples.push(`${labels} ${instance.restarts}`);
    }
  }
  return [up, restarts, ready, replicas]
    .map((f) => [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.samples.map((s) => `${f.name}${s}`)].join('\n'))
    .join('\n')
    .concat('\n');
}

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
