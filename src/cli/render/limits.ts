/**
 * The `Limits:` and `Alerts:` sections of `tend describe`: each limit of each live instance with
 * its latest use and who holds it (the kernel's cgroup, an rlimit, or tend's monitor), then the
 * open alerts.
 */
import type { InstanceView, ObjectView } from '../../controller/status.ts';
import type { Enforcement, LimitedResource } from '../../model/limits.ts';
import { figureOf, formatFigure } from '../../planner/limits.ts';
import { renderTable } from './table.ts';

const HELD_BY: Readonly<Record<Enforcement, string>> = {
  cgroup: 'kernel cgroup',
  rlimit: 'rlimit (RLIMIT_NOFILE)',
  monitor: 'monitor',
};

/** The Limits section, or '' when no live instance has limits. */
export function renderLimits(item: ObjectView, indent: (text: string) => string): string {
  const onExceed = (item.spec?.resources as { onExceed?: string } | undefined)?.onExceed ?? 'restart';
  const rows = item.instances.flatMap((i) =>
    Object.entries(i.limits ?? {}).map(([name, l]) => {
      const resource = name as LimitedResource;
      const held = l.enforcement === 'monitor' ? `monitor (onExceed ${onExceed})` : HELD_BY[l.enforcement];
      return [i.id, resource, useOf(i, resource), formatFigure(resource, l.limit), held];
    }),
  );
  if (rows.length === 0) return '';
  const alerts = item.status.alerts.map((a) => [a.instance, a.resource, a.severity, formatFigure(a.resource, a.value), a.since]);
  const open = alerts.length ? `Alerts:\n${indent(renderTable(['INSTANCE', 'RESOURCE', 'SEVERITY', 'VALUE', 'SINCE'], alerts))}` : '';
  return `Limits:\n${indent(renderTable(['INSTANCE', 'RESOURCE', 'USE', 'LIMIT', 'ENFORCED BY'], rows))}${open}`;
}

function useOf(instance: InstanceView, resource: LimitedResource): string {
  const value = instance.usage ? figureOf(resource, instance.usage) : undefined;
  return value === undefined ? '-' : formatFigure(resource, value);
}
