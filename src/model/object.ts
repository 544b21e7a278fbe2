/**
 * The desired state as the rest of tend sees it: manifest objects after parsing, validation
 * and normalisation. Everything here is plain readonly data; no I/O, no clock.
 */
import type { CircuitPolicy } from './failure.ts';
import type { ProbeSet } from './health.ts';
import type { ResourcePolicy } from './limits.ts';
import type { PoolPolicy, PortRange } from './pool.ts';

/** Manifest kinds. `Process` and `ProcessPool` run; the others validate and are reported unsupported. */
export const KINDS = ['Process', 'ProcessPool', 'Job', 'Node'] as const;
export type Kind = (typeof KINDS)[number];

/** The short prefix of an object key per kind: `process/web`, `pool/render`, `job/backup`, `node/local`. */
export const KIND_PREFIX: Readonly<Record<Kind, string>> = {
  Process: 'process',
  ProcessPool: 'pool',
  Job: 'job',
  Node: 'node',
};

/** `kind/name` with the lower-case kind prefix, e.g. `process/web`. */
export type ObjectKey = string;

/** Builds the key of an object. */
export function objectKey(kind: Kind, name: string): ObjectKey {
  return `${KIND_PREFIX[kind]}/${name}`;
}

/**
 * Every key desired or observed, once each, sorted: the objects a pass plans and a status lists,
 * in the order both go through them.
 */
export function knownKeys(desired: ReadonlyMap<ObjectKey, unknown>, observed: ReadonlyMap<ObjectKey, unknown>): ObjectKey[] {
  const keys = new Set<ObjectKey>(desired.keys());
  for (const key of observed.keys()) keys.add(key);
  return [...keys].sort();
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never' | 'UnlessStopped';
export type BackoffStrategy = 'fixed' | 'linear' | 'exponential';
export type DependencyCondition = 'started' | 'ready' | 'completed';

/** Delay before each restart; all durations in milliseconds. */
export interface BackoffPolicy {
  readonly strategy: BackoffStrategy;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  /** Fraction, e.g. 0.1 for +-10 %. */
  readonly jitter: number;
  /** A run at least this long resets the delay and the failure count. */
  readonly resetAfterMs: number;
}

/** The lifecycle hooks, in the order they run around an instance's life. */
export const HOOK_NAMES = ['preStart', 'postStart', 'preStop', 'postStop'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** A lifecycle hook: argv run with the instance's environment; non-zero exit fails the step. */
export interface Hook {
  readonly command: readonly string[];
  readonly timeoutMs: number;
}

/**
 * How an instance is stopped: `preStop`, then `signal` to its process group, up to
 * `gracePeriodMs` (counted from the start of preStop, as Kubernetes counts it), then SIGKILL,
 * then `postStop` once the group is gone. The hooks live here so every stop action carries the
 * current ones.
 */
export interface StopPolicy {
  /** Signal name, e.g. `SIGTERM`. */
  readonly signal: string;
  readonly gracePeriodMs: number;
  readonly preStop?: Hook;
  readonly postStop?: Hook;
}

/** The hooks around a start; the stop hooks are in {@link StopPolicy}. */
export interface StartHooks {
  readonly preStart?: Hook;
  readonly postStart?: Hook;
}

export interface LogPolicy {
  readonly maxSizeBytes: number;
  readonly maxFiles: number;
}

export interface UpdateStrategy {
  readonly type: 'RollingUpdate' | 'Recreate';
  readonly maxUnavailable: number;
  readonly maxSurge: number;
}

export interface Dependency {
  /** Key of the object depended on, e.g. `process/db`. */
  readonly key: ObjectKey;
  readonly condition: DependencyCondition;
}

/** What a program is: everything that, when changed, means a different running program. */
export interface ProgramSpec {
  /** argv; with `shell: true` a single element holding the shell command line. */
  readonly command: readonly string[];
  readonly shell: boolean;
  /** Absolute path. */
  readonly workingDir: string;
  /** `envFrom` files merged under `env` (env wins). */
  readonly env: Readonly<Record<string, string>>;
  /** Names in `env` whose values are never shown (all envFrom names and those marked secret). */
  readonly secretEnv: readonly string[];
  readonly user?: string;
  /** `resources.limits`, `onExceed` and `alerts.warnAt`; absent when no limit is set. */
  readonly resources?: ResourcePolicy;
  /**
   * Owner of the manifest file that names the program. Running as root, tend runs the program as
   * this user when `user` is unset, and never as root unless this owner is root.
   */
  readonly owner?: { readonly uid: number; readonly gid: number };
  /** ProcessPool workers only: worker `i` runs with `TEND_PORT = ports.from + i`. */
  readonly ports?: PortRange;
}

/** `recovery.strategy`: what replaces a failed instance (see `src/planner/recovery.ts`). */
export type RecoveryStrategy = 'restart' | 'replace' | 'fallback';

/** The fallback program: the instance's program fields with the fallback's own overlaid. */
export interface FallbackProgram extends ProgramSpec {
  /** Hash of the fallback program; a running fallback with another hash is replaced. */
  readonly hash: string;
}

/** A normalised `recovery`. */
export interface RecoveryPolicy {
  readonly strategy: RecoveryStrategy;
  /** Set with strategy `fallback`. */
  readonly fallback?: FallbackProgram;
}

/** A normalised `Process` spec: every default filled in, durations in ms, sizes in bytes. */
export interface ProcessSpec extends ProgramSpec {
  readonly replicas: number;
  readonly restartPolicy: RestartPolicy;
  readonly backoff: BackoffPolicy;
  /** 0 = unlimited. */
  readonly maxRestarts: number;
  readonly stop: StopPolicy;
  /** preStart and postStart; preStop and postStop are part of `stop`. */
  readonly lifecycle: StartHooks;
  readonly logs: LogPolicy;
  /** 0 = off. With a startup probe, the time it has to pass; without, the time to be running. */
  readonly startupTimeoutMs: number;
  readonly probes: ProbeSet;
  readonly updateStrategy: UpdateStrategy;
  readonly dependsOn: readonly Dependency[];
  /** Set when the manifest has a `circuitBreaker` (or recovery strategy `fallback`, which needs one). */
  readonly circuitBreaker?: CircuitPolicy;
  /** Absent means strategy `restart`. */
  readonly recovery?: RecoveryPolicy;
  /** Numeric priority (critical 40, high 30, normal 20, low 10, background 0, or the integer as written). */
  readonly priority: number;
  /**
   * The validated spec as written, for fields not yet normalised (lifecycle, resources, ...).
   * It holds secret env values as written: never print it.
   */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Where an object was defined. */
export interface SourceRef {
  /** Path as the user named it (relative to the working directory when possible). */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Owner of the manifest file: programs run as this user when tend runs as root and `user` is unset. */
  readonly uid: number;
  readonly gid: number;
}

/** One manifest document after validation. */
export interface ManifestObject {
  readonly kind: Kind;
  readonly name: string;
  readonly key: ObjectKey;
  readonly labels: Readonly<Record<string, string>>;
  readonly source: SourceRef;
  /** Normalised spec for `Process`; the raw validated spec for kinds not run yet. */
  readonly spec: ProcessSpec | Readonly<Record<string, unknown>>;
  /** Hash of what affects the running program; a change restarts instances. */
  readonly specHash: string;
  /** Hash of the whole document; a change bumps the object's generation. */
  readonly contentHash: string;
}

/**
 * A `Process` object, the kind the planner runs. A `ProcessPool` runs as one too: its spec is the
 * worker template, `replicas` what the pool planner decided (see `src/planner/pool.ts`).
 */
export interface ProcessObject extends ManifestObject {
  readonly kind: 'Process' | 'ProcessPool';
  readonly spec: ProcessSpec;
  /** ProcessPool only: the pool's policy. */
  readonly pool?: PoolPolicy;
  /** ProcessPool only: pids of workers the lease book wants recycled (stopped, then started fresh). */
  readonly recycle?: readonly number[];
}

/** Narrows a manifest object to a runnable Process (or ProcessPool, planned as one). */
export function isProcessObject(object: ManifestObject): object is ProcessObject {
  return object.kind === 'Process' || (object.kind === 'ProcessPool' && 'pool' in object);
}

/** The desired state: every valid object, by key, and the revision it was read at. */
export interface DesiredState {
  readonly objects: ReadonlyMap<ObjectKey, ManifestObject>;
  /** Git commit of the manifest directory when it is a checkout, else a content hash. */
  readonly revision: string;
}
