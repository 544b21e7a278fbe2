/**
 * A validated manifest document to the `ManifestObject` the rest of tend uses: defaults filled
 * in, durations in ms, sizes in bytes, CPU in cores, paths absolute, env values strings.
 * Pure: it trusts that the document passed the schema, reads no files itself (envFrom files
 * come through the injected `readEnvFile`) and never reads the clock.
 */
import { resolve } from 'node:path';
import { TendError } from '../model/errors.ts';
import { objectKey } from '../model/object.ts';
import type {
  BackoffStrategy,
  DependencyCondition,
  Hook,
  HookName,
  Kind,
  ManifestObject,
  ProcessSpec,
  RestartPolicy,
  SourceRef,
} from '../model/object.ts';
import { specHash } from '../model/spec-hash.ts';
import type { Problem } from './diagnostics.ts';
import { parseDotenv } from './dotenv.ts';
import { normalizeProbes, type ProbeInput } from './normalize-probes.ts';
import type { CircuitPolicy } from '../model/failure.ts';
import { normalizeRecovery, type RecoveryInput } from './normalize-recovery.ts';
import type { OnExceed, ResourcePolicy } from '../model/limits.ts';
import { toPoolObject } from './normalize-pool.ts';
import { toJobObject } from './normalize-job.ts';

/** A document that passed the schema of its kind. */
export interface ValidManifest {
  readonly apiVersion: 'tend/v1';
  readonly kind: Kind;
  readonly metadata: {
    readonly name: string;
    readonly labels?: Readonly<Record<string, string | number | boolean>>;
  };
  readonly spec: Readonly<Record<string, unknown>>;
}

/**
 * The outcome of reading one envFrom file. `missing` is forgiven for `optional: true` entries;
 * `insecure` (running as root, a file others could write or that the manifest's owner does
 * not own) is reported as `InsecurePermissions`.
 */
export type EnvFileRead =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: 'missing' | 'insecure' | 'unreadable'; readonly message: string };

/** Reads a dotenv file by absolute path; the only way normalize sees file contents. */
export type ReadEnvFile = (path: string) => EnvFileRead;

/** What normalizing needs besides the document. */
export interface NormalizeContext {
  /** Absolute folder of the manifest file; relative paths are resolved against it. */
  readonly dir: string;
  readonly readEnvFile: ReadEnvFile;
}

/** Numeric values of the priority names. */
export const PRIORITY_VALUES: Readonly<Record<string, number>> = {
  critical: 40,
  high: 30,
  normal: 20,
  low: 10,
  background: 0,
};

/**
 * Process defaults, as the schema records them (a test keeps the two equal).
 * Durations in ms, sizes in bytes.
 */
export const PROCESS_DEFAULTS = {
  replicas: 1,
  restartPolicy: 'Always',
  backoff: { strategy: 'exponential', initialDelayMs: 1_000, maxDelayMs: 300_000, multiplier: 2, jitter: 0.1, resetAfterMs: 600_000 },
  maxRestarts: 0,
  stop: { signal: 'SIGTERM', gracePeriodMs: 10_000 },
  hookTimeoutMs: 30_000,
  logs: { maxSizeBytes: 10 * 1024 ** 2, maxFiles: 5 },
  startupTimeoutMs: 0,
  circuitBreaker: { maxFailures: 5, windowMs: 60_000, cooldownMs: 300_000 },
  updateStrategy: { type: 'RollingUpdate', maxUnavailable: 1, maxSurge: 0 },
  priority: 'normal',
  dependencyCondition: 'started',
  onExceed: 'restart',
  warnAt: 0.8,
  enforce: 'kernel',
} as const;

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const QUANTITY_UNITS: Readonly<Record<string, number>> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6,
};

/**
 * A duration (`500ms`, `10s`, `5m`, `1h`, `1h30m`, `0`) in milliseconds, rounded; `undefined`
 * when the text is not a duration. The number `0` is accepted; other bare numbers are not
 * (a unit is required).
 * @example parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return text === 0 ? 0 : undefined;
  if (text === '0') return 0;
  if (!/^(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * (DURATION_UNITS[unit ?? ''] ?? NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/**
 * A memory or size quantity with Kubernetes units (`256Mi`, `1Gi`, `500M`, `1.5k`, plain bytes)
 * in bytes, rounded up; `undefined` when it is not a quantity.
 * @example parseQuantity('256Mi') // 268_435_456
 */
export function parseQuantity(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text : undefined;
  const match = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(text);
  if (!match) return undefined;
  const bytes = Math.ceil(Number(match[1]) * (QUANTITY_UNITS[match[2] ?? ''] ?? NaN));
  return Number.isFinite(bytes) ? bytes : undefined;
}

/**
 * CPU as cores: a number (`0.5`, `2`), a numeric string, or millicores (`500m`); `undefined`
 * when it is none of those.
 * @example parseCpu('500m') // 0.5
 */
export function parseCpu(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const milli = /^([0-9]+)m$/.exec(value);
  if (milli) return Number(milli[1]) / 1000;
  return /^[0-9]+(?:\.[0-9]+)?$/.test(value) ? Number(value) : undefined;
}

/**
 * Turns a validated document into a manifest object. Process and ProcessPool specs are
 * normalised; the other kinds keep their validated spec as written. Problems (an unreadable envFrom file, a rolling
 * update that cannot progress) come back instead of the object.
 */
export function toManifestObject(
  manifest: ValidManifest,
  context: NormalizeContext & { readonly source: SourceRef },
): { readonly object?: ManifestObject; readonly problems: readonly Problem[] } {
  const { kind } = manifest;
  const { name } = manifest.metadata;
  const labels = Object.fromEntries(Object.entries(manifest.metadata.labels ?? {}).map(([k, v]) => [k, String(v)]));
  const base = { kind, name, key: objectKey(kind, name), labels, source: context.source };
  if (kind === 'ProcessPool') return toPoolObject(base, manifest.spec, context);
  if (kind === 'Job') return toJobObject(name, labels, manifest.spec, context);
  if (kind !== 'Process') {
    const hash = specHash(manifest.spec);
    return { object: { ...base, spec: manifest.spec, specHash: hash, contentHash: specHash({ labels, hash }) }, problems: [] };
  }
  const result = normalizeProcessSpec(manifest.spec, context);
  if (!result.spec) return { problems: result.problems };
  const spec: ProcessSpec = { ...result.spec, owner: { uid: context.source.uid, gid: context.source.gid } };
  // The program hash is part of the content, so a changed envFrom file is a new generation too.
  const program = processSpecHash(spec);
  const contentHash = specHash({ labels, spec: manifest.spec, program });
  return { object: { ...base, spec, specHash: program, contentHash }, problems: result.problems };
}

/** What affects the running program (a hash); a change restarts instances. */
export function processSpecHash(spec: ProcessSpec): string {
  const { command, shell, workingDir, env, user, owner } = spec;
  const input = spec.raw as unknown as ProcessSpecInput;
  const limits = normalizeLimits(input);
  return specHash({ command, shell, workingDir, env, user, owner, resources: { limits, enforce: input.resources?.enforce } });
}

type Duration = string | number;
type EnvValueInput = string | number | boolean | { readonly value: string | number | boolean; readonly secret?: boolean };

// The manifest's circuitBreaker with the schema's defaults.
function circuitPolicy(input: NonNullable<ProcessSpecInput['circuitBreaker']>): CircuitPolicy {
  const d = PROCESS_DEFAULTS.circuitBreaker;
  return { maxFailures: input.maxFailures ?? d.maxFailures, windowMs: ms(input.window, d.windowMs), cooldownMs: ms(input.cooldown, d.cooldownMs) };
}

/** The Process spec as the schema lets users write it. */
interface ProcessSpecInput {
  readonly command: string | readonly string[];
  readonly shell?: boolean;
  readonly workingDir?: string;
  readonly env?: Readonly<Record<string, EnvValueInput>>;
  readonly envFrom?: readonly { readonly file: string; readonly optional?: boolean }[];
  readonly user?: string | number;
  readonly replicas?: number;
  readonly restartPolicy?: RestartPolicy;
  readonly backoff?: {
    readonly strategy?: BackoffStrategy;
    readonly initialDelay?: Duration;
    readonly maxDelay?: Duration;
    readonly multiplier?: number;
    readonly jitter?: number;
    readonly resetAfter?: Duration;
  };
  readonly maxRestarts?: number;
  readonly stop?: { readonly signal?: string; readonly gracePeriod?: Duration };
  readonly lifecycle?: Readonly<Partial<Record<HookName, { readonly exec: readonly string[]; readonly timeout?: Duration }>>>;
  readonly logs?: { readonly maxSize?: string | number; readonly maxFiles?: number };
  readonly startupTimeout?: Duration;
  readonly circuitBreaker?: { readonly maxFailures?: number; readonly window?: Duration; readonly cooldown?: Duration };
  readonly probes?: Readonly<Partial<Record<'startup' | 'liveness' | 'readiness', ProbeInput>>>;
  readonly updateStrategy?: { readonly type?: 'RollingUpdate' | 'Recreate'; readonly maxUnavailable?: number; readonly maxSurge?: number };
  readonly dependsOn?: readonly { readonly name: string; readonly kind?: 'Process' | 'Job'; readonly condition?: DependencyCondition }[];
  readonly priority?: string | number;
  readonly resources?: { readonly limits?: Readonly<Record<string, string | number>>; readonly onExceed?: OnExceed; readonly enforce?: 'kernel' | 'monitor' };
  readonly alerts?: { readonly warnAt?: number };
  readonly recovery?: RecoveryInput & { readonly fallback?: Pick<ProcessSpecInput, 'env' | 'envFrom'> };
}

/**
 * Normalises a validated Process spec: every default filled in (see {@link PROCESS_DEFAULTS}),
 * durations in ms, sizes in bytes, workingDir absolute, envFrom files merged under env.
 * Returns no spec when a problem is an error.
 */
export function normalizeProcessSpec(
  written: Readonly<Record<string, unknown>>,
  context: NormalizeContext,
): { readonly spec?: ProcessSpec; readonly problems: readonly Problem[] } {
  const input = written as unknown as ProcessSpecInput;
  const env = normalizeEnv(input, context);
  const fallbackEnv = normalizeEnv(input.recovery?.fallback ?? {}, context, ['spec', 'recovery', 'fallback']);
  const problems = [...env.problems, ...fallbackEnv.problems, ...checkUpdateStrategy(input)];
  if (problems.some((p) => p.severity === 'error')) return { problems };
  const d = PROCESS_DEFAULTS;
  const spec: ProcessSpec = {
    command: typeof input.command === 'string' ? [input.command] : [...input.command],
    shell: input.shell ?? false,
    workingDir: resolve(context.dir, input.workingDir ?? '.'),
    env: env.env,
    secretEnv: env.secret,
    ...(input.user === undefined ? {} : { user: String(input.user) }),
    replicas: input.replicas ?? d.replicas,
    restartPolicy: input.restartPolicy ?? d.restartPolicy,
    backoff: {
      strategy: input.backoff?.strategy ?? d.backoff.strategy,
      initialDelayMs: ms(input.backoff?.initialDelay, d.backoff.initialDelayMs),
      maxDelayMs: ms(input.backoff?.maxDelay, d.backoff.maxDelayMs),
      multiplier: input.backoff?.multiplier ?? d.backoff.multiplier,
      jitter: input.backoff?.jitter ?? d.backoff.jitter,
      resetAfterMs: ms(input.backoff?.resetAfter, d.backoff.resetAfterMs),
    },
    maxRestarts: input.maxRestarts ?? d.maxRestarts,
    stop: {
      signal: input.stop?.signal ?? d.stop.signal,
      gracePeriodMs: ms(input.stop?.gracePeriod, d.stop.gracePeriodMs),
      ...hooks(input, 'preStop', 'postStop'),
    },
    lifecycle: hooks(input, 'preStart', 'postStart'),
    logs: { maxSizeBytes: bytes(input.logs?.maxSize, d.logs.maxSizeBytes), maxFiles: input.logs?.maxFiles ?? d.logs.maxFiles },
    startupTimeoutMs: ms(input.startupTimeout, d.startupTimeoutMs),
    ...circuitAndRecovery(input),
    probes: normalizeProbes(input.probes, ms),
    updateStrategy: {
      type: input.updateStrategy?.type ?? d.updateStrategy.type,
      maxUnavailable: input.updateStrategy?.maxUnavailable ?? d.updateStrategy.maxUnavailable,
      maxSurge: input.updateStrategy?.maxSurge ?? d.updateStrategy.maxSurge,
    },
    dependsOn: (input.dependsOn ?? []).map((dep) => ({
      key: objectKey(dep.kind ?? 'Process', dep.name),
      condition: dep.condition ?? d.dependencyCondition,
    })),
    priority: priorityValue(input.priority ?? d.priority),
    ...resourcePolicyOf(input),
    raw: written,
  };
  const recovery = normalizeRecovery(input.recovery, spec, fallbackEnv, context.dir);
  return { spec: recovery ? { ...spec, recovery } : spec, problems };
}

// Strategy fallback runs its program while the circuit is open, so it implies a breaker (defaults).
function circuitAndRecovery(input: ProcessSpecInput): { circuitBreaker?: CircuitPolicy } {
  const breaker = input.circuitBreaker ?? (input.recovery?.strategy === 'fallback' ? {} : undefined);
  return breaker === undefined ? {} : { circuitBreaker: circuitPolicy(breaker) };
}

// The named hooks that the manifest sets, with their timeouts in ms.
function hooks(input: ProcessSpecInput, ...names: readonly HookName[]): Partial<Record<HookName, Hook>> {
  const result: Partial<Record<HookName, Hook>> = {};
  for (const name of names) {
    const hook = input.lifecycle?.[name];
    if (hook) result[name] = { command: [...hook.exec], timeoutMs: ms(hook.timeout, PROCESS_DEFAULTS.hookTimeoutMs) };
  }
  return result;
}

function priorityValue(priority: string | number): number {
  return typeof priority === 'number' ? priority : (PRIORITY_VALUES[priority] ?? invalid('priority', priority));
}

function ms(value: Duration | undefined, fallback: number): number {
  return value === undefined ? fallback : (parseDuration(value) ?? invalid('duration', value));
}

function bytes(value: string | number | undefined, fallback: number): number {
  return value === undefined ? fallback : (parseQuantity(value) ?? invalid('quantity', value));
}

// The schema let through a value it should not have: a bug, not a user error.
function invalid(what: string, value: unknown): never {
  throw new TendError('InvariantViolation', `validated manifest holds an invalid ${what}: ${JSON.stringify(value)}`);
}

// Limits in canonical units, so `1Gi` and `1024Mi` hash the same.
function normalizeLimits(input: ProcessSpecInput): Record<string, number> | undefined {
  const limits = input.resources?.limits;
  if (!limits) return undefined;
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(limits)) {
    if (name === 'cpu') out[name] = parseCpu(value) ?? invalid('cpu', value);
    else if (typeof value === 'string') out[name] = parseQuantity(value) ?? invalid('quantity', value);
    else out[name] = value;
  }
  return out;
}

// `resources.limits` with `onExceed` and `alerts.warnAt`, only when some limit is set.
function resourcePolicyOf(input: ProcessSpecInput): { readonly resources?: ResourcePolicy } {
  const limits = normalizeLimits(input);
  if (!limits || Object.keys(limits).length === 0) return {};
  const d = PROCESS_DEFAULTS;
  const { onExceed = d.onExceed, enforce = d.enforce } = input.resources ?? {};
  return { resources: { limits, onExceed, warnAt: input.alerts?.warnAt ?? d.warnAt, enforce } };
}

function checkUpdateStrategy(input: ProcessSpecInput): Problem[] {
  const strategy = input.updateStrategy;
  if (!strategy || (strategy.type ?? 'RollingUpdate') !== 'RollingUpdate') return [];
  const unavailable = strategy.maxUnavailable ?? PROCESS_DEFAULTS.updateStrategy.maxUnavailable;
  const surge = strategy.maxSurge ?? PROCESS_DEFAULTS.updateStrategy.maxSurge;
  if (unavailable > 0 || surge > 0) return [];
  return [{
    code: 'ManifestInvalid',
    severity: 'error',
    path: ['spec', 'updateStrategy', strategy.maxUnavailable === undefined ? 'maxSurge' : 'maxUnavailable'],
    message: 'maxUnavailable and maxSurge cannot both be 0: a rolling update could never replace an instance (set maxUnavailable: 1, or maxSurge: 1 to start each new instance before its old one stops)',
  }];
}

interface NormalizedEnv {
  readonly env: Readonly<Record<string, string>>;
  readonly secret: readonly string[];
  readonly problems: readonly Problem[];
}

// envFrom files first (later files win), then env on top; every envFrom name is secret.
function normalizeEnv(input: Pick<ProcessSpecInput, 'env' | 'envFrom'>, context: NormalizeContext, at: readonly string[] = ['spec']): NormalizedEnv {
  const values = new Map<string, string>();
  const secret = new Set<string>();
  const problems: Problem[] = [];
  (input.envFrom ?? []).forEach((source, index) => {
    const path = [...at, 'envFrom', index, 'file'];
    const read = context.readEnvFile(resolve(context.dir, source.file));
    if (!read.ok) {
      if (read.reason === 'insecure') {
        problems.push({ code: 'InsecurePermissions', severity: 'error', path, message: `refusing ${source.file}: ${read.message}` });
      } else if (!(read.reason === 'missing' && source.optional)) {
        problems.push({ code: 'EnvFileUnreadable', severity: 'error', path, message: `cannot read ${source.file}: ${read.message}` });
      }
      return;
    }
    const parsed = parseDotenv(read.text);
    if (!parsed.ok) {
      problems.push({ code: 'EnvFileUnreadable', severity: 'error', path, message: `${source.file}:${parsed.line}: ${parsed.message}` });
      return;
    }
    for (const [name, value] of parsed.entries) {
      values.set(name, value);
      secret.add(name);
    }
  });
  for (const [name, value] of Object.entries(input.env ?? {})) {
    if (typeof value === 'object') {
      values.set(name, String(value.value));
      if (value.secret) secret.add(name);
    } else {
      values.set(name, String(value));
    }
  }
  return { env: Object.fromEntries(values), secret: [...secret].sort(), problems };
}
