/**
 * A validated ProcessPool document to the object the planner runs: the `template` normalised as a
 * Process spec (every Process default applies) whose `replicas` start at `minReplicas`, plus the
 * pool's own policy. The pool planner decides the real replica count at run time.
 * Pure, like normalize.ts.
 */
import type { Problem } from './diagnostics.ts';
import type { ManifestObject, ProcessObject, SourceRef } from '../model/object.ts';
import type { AutoscalePolicy, PoolPolicy } from '../model/pool.ts';
import { specHash } from '../model/spec-hash.ts';
import { normalizeProcessSpec, parseDuration, processSpecHash, type NormalizeContext } from './normalize.ts';

/** ProcessPool defaults, as the schema records them. Durations in ms. */
export const POOL_DEFAULTS = {
  minReplicas: 1,
  maxReplicas: 10,
  idleTimeoutMs: 30_000,
  maxLeasesPerWorker: 0,
  leaseTimeoutMs: 300_000,
  autoscale: { metric: 'cpu', target: 70, stabilizationUpMs: 0, stabilizationDownMs: 60_000 },
} as const;

type Duration = string | number;

/** The ProcessPool spec as the schema lets users write it (the template is a Process spec). */
interface PoolSpecInput {
  readonly template: Readonly<Record<string, unknown>>;
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
  readonly idleTimeout?: Duration;
  readonly maxLeasesPerWorker?: number;
  readonly leaseTimeout?: Duration;
  readonly autoscale?: {
    readonly metric?: 'cpu' | 'memory';
    readonly target?: number;
    readonly stabilization?: { readonly up?: Duration; readonly down?: Duration };
  };
  readonly ports?: { readonly from: number; readonly to: number };
}

/** Normalises a validated ProcessPool; problems (an unreadable envFrom file, ...) instead of the object. */
export function toPoolObject(
  base: Pick<ManifestObject, 'name' | 'key' | 'labels'> & { readonly source: SourceRef },
  written: Readonly<Record<string, unknown>>,
  context: NormalizeContext,
): { readonly object?: ProcessObject; readonly problems: readonly Problem[] } {
  const input = written as unknown as PoolSpecInput;
  const pool = poolPolicy(input);
  const result = normalizeProcessSpec({ ...input.template, replicas: pool.minReplicas }, context);
  const problems = result.problems.map((p) => ({ ...p, path: ['spec', 'template', ...p.path.slice(1)] }));
  if (!result.spec) return { problems };
  const spec = {
    ...result.spec,
    owner: { uid: base.source.uid, gid: base.source.gid },
    ...(pool.ports ? { ports: pool.ports } : {}),
  };
  const program = specHash({ program: processSpecHash(spec), ports: pool.ports ?? null });
  const contentHash = specHash({ labels: base.labels, spec: written, program });
  return { object: { ...base, kind: 'ProcessPool', spec, pool, specHash: program, contentHash }, problems };
}

function poolPolicy(input: PoolSpecInput): PoolPolicy {
  const d = POOL_DEFAULTS;
  return {
    minReplicas: input.minReplicas ?? d.minReplicas,
    maxReplicas: input.maxReplicas ?? d.maxReplicas,
    idleTimeoutMs: ms(input.idleTimeout, d.idleTimeoutMs),
    maxLeasesPerWorker: input.maxLeasesPerWorker ?? d.maxLeasesPerWorker,
    leaseTimeoutMs: ms(input.leaseTimeout, d.leaseTimeoutMs),
    ...(input.autoscale ? { autoscale: autoscalePolicy(input.autoscale) } : {}),
    ...(input.ports ? { ports: { from: input.ports.from, to: input.ports.to } } : {}),
  };
}

function autoscalePolicy(input: NonNullable<PoolSpecInput['autoscale']>): AutoscalePolicy {
  const d = POOL_DEFAULTS.autoscale;
  return {
    metric: input.metric ?? d.metric,
    target: input.target ?? d.target,
    stabilizationUpMs: ms(input.stabilization?.up, d.stabilizationUpMs),
    stabilizationDownMs: ms(input.stabilization?.down, d.stabilizationDownMs),
  };
}

function ms(value: Duration | undefined, fallback: number): number {
  return value === undefined ? fallback : (parseDuration(value) ?? fallback);
}
