/**
 * Which Kubernetes workload a manifest object becomes. Pure.
 *
 * - A Job is a Kubernetes Job, or a CronJob when it has a `schedule`.
 * - A Process that restarts (restartPolicy Always or UnlessStopped) is a Deployment, and a
 *   ProcessPool too; either is a StatefulSet when its program relies on its ordinal: when the
 *   command, env, probes or lifecycle hooks name `TEND_REPLICA` or `TEND_INSTANCE`. A
 *   StatefulSet's pods are `web-0`, `web-1`, ... like tend's instances; a Deployment's pods have
 *   random names and no ordinal.
 * - A one-shot Process (OnFailure or Never) is a Job with one completion per replica.
 */
import type { RenderSource } from './model.ts';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'Job' | 'CronJob';

/** The workload of a Process, ProcessPool or Job; undefined for a Node. */
export function workloadKind(source: RenderSource): WorkloadKind | undefined {
  const spec = source.spec;
  if (source.kind === 'Node') return undefined;
  if (source.kind === 'Job') return typeof spec.schedule === 'string' ? 'CronJob' : 'Job';
  const program = programOf(source);
  if (source.kind === 'Process') {
    const policy = spec.restartPolicy ?? 'Always';
    if (policy !== 'Always' && policy !== 'UnlessStopped') return 'Job';
  }
  return usesOrdinal(program) ? 'StatefulSet' : 'Deployment';
}

/** The program fields: the spec, or a pool's `template`. */
export function programOf(source: RenderSource): Readonly<Record<string, unknown>> {
  return source.kind === 'ProcessPool' ? (source.spec.template as Readonly<Record<string, unknown>>) : source.spec;
}

/** Where the program fields are written: `spec` or `spec.template`. */
export function programPath(source: RenderSource): readonly string[] {
  return source.kind === 'ProcessPool' ? ['spec', 'template'] : ['spec'];
}

/** Whether the program names its ordinal (`TEND_REPLICA`) or instance id (`TEND_INSTANCE`). */
export function usesOrdinal(program: Readonly<Record<string, unknown>>): boolean {
  const { command, env, probes, lifecycle } = program;
  return /\bTEND_(?:REPLICA|INSTANCE)\b/.test(JSON.stringify([command, env, probes, lifecycle]));
}
