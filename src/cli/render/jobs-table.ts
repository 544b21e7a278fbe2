/**
 * The `tend get jobs` table: NAME, COMPLETIONS, DURATION, PRIORITY, STATUS (with the reason a Job
 * waits, e.g. `Pending (Insufficient cpu)`), AGE.
 */
import type { ObjectView } from '../../controller/status.ts';
import { formatAge, renderTable } from './table.ts';
import { paintStatus } from './color.ts';

/** The Jobs table; `views` are Job views. */
export function renderJobs(views: readonly ObjectView[], now: number, color = false): string {
  const rows = views.map((v) => {
    const job = v.status.job;
    const started = job?.startTime ? Date.parse(job.startTime) : NaN;
    return [
      v.key,
      job ? `${job.succeeded}/${job.completions}` : '-',
      job?.durationMs === null || job?.durationMs === undefined ? '-' : formatDuration(job.durationMs),
      job ? String(job.priority) : '-',
      paintStatus(jobStatus(v), color),
      Number.isFinite(started) ? formatAge(started, now) : '-',
    ];
  });
  return renderTable(['NAME', 'COMPLETIONS', 'DURATION', 'PRIORITY', 'STATUS', 'AGE'], rows);
}

function jobStatus(v: ObjectView): string {
  const { phase, reason } = v.status;
  const shown = phase === reason || reason === 'Running' || reason === 'Completed' ? phase : `${phase} (${reason})`;
  const position = v.status.job?.queuePosition;
  return position === undefined ? shown : `${shown}, queue #${position}`;
}

/** `850ms`, `12s`, `3m4s`, `2h5m`. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}
