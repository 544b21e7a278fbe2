/**
 * The local executor: runs instances as OS processes, each the leader of its own process group,
 * and keeps what it knows about them in memory so `observe()` costs no syscall.
 *
 * Per instance:
 *
 *     start ──> running ──(exit)──────────────────────────────> exited  (SIGKILL to the group's rest)
 *                  └─(stop: stop.signal to the group, grace timer)─> stopping ──(exit)─> exited (requested)
 *                                            grace over: SIGKILL ──┘
 *
 * `restart` is a stop whose exit starts the replacement in the same slot at once, so the apply
 * resolves `stopping` without waiting out the grace period (`restarted` when nothing was running).
 * Own children report exits through their `exit` event; adopted processes (started by an earlier
 * controller) are polled by {@link AdoptedWatcher}, and one adopted mid-stop is SIGKILLed after
 * the default grace period. It must not make decisions: what to start or stop comes only from
 * actions.
 */
import type { Action, ActionResult, RestartAction, StartAction, StopAction } from '../../model/action.ts';
import { exitOf, isLimitStop, type ExitInfo, type Observed, type ObservedInstance } from '../../model/instance.ts';
import type { LogPolicy, ObjectKey } from '../../model/object.ts';
import type { Cancel, Clock } from '../../platform/clock.ts';
import type { AdoptReport, Executor } from '../executor.ts';
import { isSameProcess, lostInstance, scanMarkedProcesses } from './adopt.ts';
import { AdoptedWatcher } from './adopted-watcher.ts';
import { runningInstance, spawnErrorInstance, type Launch } from './instance-records.ts';
import { InstanceTable } from './instance-table.ts';
import { groupExists, isSignalName, signalGroup, signalGroupIfOurs } from './kill-group.ts';
import { logPaths, readLogTail, STDERR_TAIL_LINES } from './log-files.ts';
import { LogRotator, type RotatedInstance } from './log-rotator.ts';
import { readBootTimeMs } from './proc-stat.ts';
import { createKernelLimits } from './kernel-limits.ts';
import type { KernelEnd } from './oom-exit.ts';
import { spawnInstance, type SpawnContext, type SpawnFailure } from './spawn-instance.ts';

/** Options of {@link createLocalExecutor}. */
export interface LocalExecutorOptions {
  /** Holds `logs/<instance>.out.log` and `.err.log`. */
  readonly stateDir: string;
  /** Written into every instance's env as `TEND_STATE_ID`; adoption looks for it. */
  readonly stateId: string;
  readonly clock: Clock;
  /** Honour `spec.user`; defaults to whether tend runs as uid 0. */
  readonly asRoot?: boolean;
  /** The env programs inherit; defaults to `process.env` (read once, at creation). */
  readonly env?: NodeJS.ProcessEnv;
  /** Problems that degrade but never stop supervision (log files on a full disk). */
  readonly onWarning?: (reason: string, message: string, object: ObjectKey) => void;
}

/** Grace period, from adoption, of an instance adopted while stopping (the schema's default). */
const ADOPTED_STOP_GRACE_MS = 10_000;

/** Log policy assumed for adopted instances, whose spec is not known. */
const ADOPTED_LOGS: LogPolicy = { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5 };

// What the executor tracks beside the observed instance, per live (running or stopping) instance.
interface Runtime {
  readonly object: ObjectKey;
  readonly id: string;
  readonly adopted: boolean;
  readonly logs: LogPolicy;
  cancelGrace: Cancel | undefined;
  /** Drop the record on exit (stop with `forget`). */
  forget: boolean;
  /** Start this in the slot on exit (restart). */
  replacement: RestartAction | undefined;
}

// What happens once a stopping instance has exited.
interface Intent {
  readonly forget: boolean;
  readonly replacement: RestartAction | undefined;
}

type LaunchResult =
  | { readonly ok: true; readonly instance: ObservedInstance }
  | { readonly ok: false; readonly failure: Promise<SpawnFailure> };

/**
 * Creates the local executor.
 * @example
 * const executor = createLocalExecutor({ stateDir, stateId, clock: systemClock });
 * await executor.adopt(recordsFromStateFile);
 */
export function createLocalExecutor(options: LocalExecutorOptions): Executor {
  return new LocalExecutor(options);
}

function keyOf(object: ObjectKey, id: string): string {
  return `${object}\0${id}`;
}

function newRuntime(object: ObjectKey, id: string, adopted: boolean, logs: LogPolicy): Runtime {
  return { object, id, adopted, logs, cancelGrace: undefined, forget: false, replacement: undefined };
}

class LocalExecutor implements Executor {
  readonly #clock: Clock;
  readonly #spawn: SpawnContext;
  readonly #onWarning: (reason: string, message: string, object: ObjectKey) => void;
  readonly #table = new InstanceTable();
  readonly #runtimes = new Map<string, Runtime>();
  readonly #listeners = new Set<(object: ObjectKey) => void>();
  readonly #watcher: AdoptedWatcher;
  readonly #rotator: LogRotator;
  readonly #stateId: string;
  /** Runtimes with an armed grace timer, including exited ones whose group outlived the leader. */
  readonly #graced = new Set<Runtime>();
  #closed = false;

  constructor(options: LocalExecutorOptions) {
    this.#clock = options.clock;
    this.#stateId = options.stateId;
    this.#onWarning = options.onWarning ?? (() => undefined);
    this.#spawn = {
      stateDir: options.stateDir,
      stateId: options.stateId,
      baseEnv: plainEnv(options.env ?? process.env),
      asRoot: options.asRoot ?? process.getuid?.() === 0,
      onLogFailure: (message, object) => this.#onWarning('LogOpenFailed', message, object),
      kernel: createKernelLimits(options.stateId),
    };
    this.#watcher = new AdoptedWatcher(this.#clock, (key) => this.#onAdoptedDeath(key));
    this.#rotator = new LogRotator({
      clock: this.#clock,
      stateDir: options.stateDir,
      list: () => this.#rotated(),
      onWarning: (reason, message, object) => this.#onWarning(reason, message, object),
    });
  }

  observe(): Promise<Observed> {
    return Promise.resolve(this.#table.observed());
  }

  apply(action: Action): Promise<ActionResult> {
    switch (action.type) {
      case 'start':
        return this.#start(action);
      case 'stop':
        return Promise.resolve(this.#stop(action));
      case 'restart':
        return this.#restart(action);
      case 'wait':
        return Promise.resolve({ ok: true, action, outcome: 'unchanged' });
    }
  }

  subscribe(listener: (object: ObjectKey) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  adopt(records: readonly ObservedInstance[]): Promise<AdoptReport> {
    const now = this.#clock.now();
    const adopted: ObservedInstance[] = [];
    const lost: ObservedInstance[] = [];
    for (const record of records) {
      if (this.#runtimes.has(keyOf(record.object, record.id))) continue;
      if (record.state === 'exited') this.#table.put(record);
      else if (isSameProcess(record)) adopted.push(this.#takeOver(record));
      else lost.push(this.#record(lostInstance(record, now)));
    }
    const found = this.#scan().map((instance) => this.#takeOver(instance));
    return Promise.resolve({ adopted, lost, found });
  }

  snapshot(): readonly ObservedInstance[] {
    return this.#table.all();
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#watcher.close();
    this.#rotator.close();
    for (const runtime of this.#graced) this.#cancelGrace(runtime);
    return Promise.resolve();
  }

  // ── actions ────────────────────────────────────────────────────────────────

  async #start(action: StartAction): Promise<ActionResult> {
    const existing = this.#table.get(action.object, action.instance);
    if (existing && existing.state !== 'exited') return { ok: true, action, outcome: 'unchanged', instance: existing };
    return this.#resultOf(action, this.#launch(action), 'started');
  }

  #stop(action: StopAction): ActionResult {
    const instance = this.#table.get(action.object, action.instance);
    const runtime = this.#runtimes.get(keyOf(action.object, action.instance));
    if (!instance || !runtime) {
      if (instance && action.forget) this.#table.remove(action.object, action.instance);
      return { ok: true, action, outcome: instance && action.forget ? 'stopped' : 'unchanged' };
    }
    return this.#beginStop(action, instance, runtime, { forget: action.forget, replacement: undefined });
  }

  async #restart(action: RestartAction): Promise<ActionResult> {
    const instance = this.#table.get(action.object, action.instance);
    const runtime = this.#runtimes.get(keyOf(action.object, action.instance));
    if (!instance || !runtime) return this.#resultOf(action, this.#launch(action), 'restarted');
    return this.#beginStop(action, instance, runtime, { forget: false, replacement: action });
  }

  // Signals the group and arms the grace timer; a stop already under way keeps its deadline.
  // The latest intent (forget, replacement) wins once the stop is under way.
  #beginStop(action: StopAction | RestartAction, instance: ObservedInstance, runtime: Runtime, intent: Intent): ActionResult {
    if (instance.state === 'stopping' && runtime.cancelGrace) {
      Object.assign(runtime, intent);
      return { ok: true, action, outcome: 'stopping', instance };
    }
    const { signal, gracePeriodMs } = action.stop;
    if (!isSignalName(signal)) {
      return { ok: false, action, reason: 'InvalidSignal', message: `stop.signal "${signal}" is not a signal name` };
    }
    const { pid, startTicks } = instance;
    const sent = runtime.adopted ? signalGroupIfOurs(pid, startTicks, signal) : signalGroup(pid, signal);
    if (sent === 'denied') {
      return { ok: false, action, reason: 'StopFailed', message: `not permitted to signal process group ${pid}` };
    }
    Object.assign(runtime, intent);
    this.#armGrace(runtime, instance, gracePeriodMs);
    const stopping = this.#record({ ...instance, state: 'stopping', stopReason: action.reason, ...(isLimitStop(action.reason) ? { stopMessage: action.message } : {}) });
    return { ok: true, action, outcome: 'stopping', instance: stopping };
  }

  // ── spawning ───────────────────────────────────────────────────────────────

  // Spawns and records synchronously, so no observe can see the slot empty in between.
  #launch(launch: Launch): LaunchResult {
    const key = keyOf(launch.object, launch.instance);
    this.#table.removeExited(launch.object, launch.replica);
    const runtime = newRuntime(launch.object, launch.instance, false, launch.spec.logs);
    const outcome = spawnInstance(this.#spawn, launch, (code, signal, kernel) => this.#onChildExit(key, runtime, code, signal, kernel));
    if (!outcome.ok) return { ok: false, failure: this.#recordSpawnError(launch, outcome.failure) };
    this.#runtimes.set(key, runtime);
    this.#rotator.ensure();
    return { ok: true, instance: this.#record(runningInstance(launch, outcome.pid, outcome.startTicks, this.#clock.now(), outcome.enforcement)) };
  }

  // The slot holds an exited SpawnError instance at once (so the planner's backoff applies);
  // its message is filled in when the kernel's error arrives.
  #recordSpawnError(launch: Launch, failure: Promise<SpawnFailure>): Promise<SpawnFailure> {
    const now = this.#clock.now();
    const placeholder = this.#record(spawnErrorInstance(launch, now));
    return failure.then((detail) => {
      if (this.#table.get(launch.object, launch.instance) === placeholder) {
        this.#record(spawnErrorInstance(launch, now, detail.message));
      }
      return detail;
    });
  }

  async #resultOf(action: StartAction | RestartAction, launched: LaunchResult, outcome: 'started' | 'restarted'): Promise<ActionResult> {
    if (launched.ok) return { ok: true, action, outcome, instance: launched.instance };
    const { message, cause } = await launched.failure;
    return { ok: false, action, reason: 'SpawnError', message, cause };
  }

  // ── exits ──────────────────────────────────────────────────────────────────

  #onChildExit(key: string, runtime: Runtime, code: number | null, signal: NodeJS.Signals | null, kernel?: KernelEnd): void {
    if (this.#runtimes.get(key) !== runtime) return;
    const instance = this.#table.get(runtime.object, runtime.id);
    // Nothing an instance started may outlive it.
    if (instance) signalGroup(instance.pid, 'SIGKILL');
    this.#finish(key, runtime, { code, signal, reason: 'Exited', ...kernel });
  }

  #onAdoptedDeath(key: string): void {
    const runtime = this.#runtimes.get(key);
    if (!runtime) return;
    const instance = this.#table.get(runtime.object, runtime.id);
    if (instance) signalGroupIfOurs(instance.pid, instance.startTicks, 'SIGKILL');
    this.#finish(key, runtime, { code: null, signal: null, reason: 'Lost' });
  }

  // Records the exit, then forgets the instance or starts its replacement, then notifies.
  #finish(key: string, runtime: Runtime, end: Pick<ExitInfo, 'code' | 'signal' | 'reason' | 'message'>): void {
    const instance = this.#table.get(runtime.object, runtime.id);
    this.#runtimes.delete(key);
    if (runtime.adopted) this.#watcher.remove(key);
    if (!instance) return;
    // Members left after the SIGKILL (uninterruptible sleep) get the deadline's SIGKILL too.
    if (runtime.cancelGrace && !groupExists(instance.pid)) this.#cancelGrace(runtime);
    const exit = exitOf(instance, end, this.#clock.now());
    this.#record({ ...instance, state: 'exited', exit: exit.requested ? exit : this.#withStderrTail(exit, runtime.id) });
    if (runtime.forget) this.#table.remove(runtime.object, runtime.id);
    if (runtime.replacement && !this.#closed) this.#launchReplacement(runtime.replacement);
    else this.#notify(runtime.object);
  }

  // A program that ended on its own: the last lines of its stderr go into the failure history.
  #withStderrTail(exit: ExitInfo, instance: string): ExitInfo {
    const tail = readLogTail(logPaths(this.#spawn.stateDir, instance).err, STDERR_TAIL_LINES);
    return tail ? { ...exit, stderrTail: tail } : exit;
  }

  #launchReplacement(action: RestartAction): void {
    const launched = this.#launch(action);
    if (launched.ok) this.#notify(action.object);
    else void launched.failure.then(() => this.#notify(action.object));
  }

  // ── adoption ───────────────────────────────────────────────────────────────

  #takeOver(instance: ObservedInstance): ObservedInstance {
    const key = keyOf(instance.object, instance.id);
    const runtime = newRuntime(instance.object, instance.id, true, ADOPTED_LOGS);
    this.#runtimes.set(key, runtime);
    // A stop that was under way when the old controller died still ends in a SIGKILL.
    if (instance.state === 'stopping') this.#armGrace(runtime, instance, ADOPTED_STOP_GRACE_MS);
    this.#watcher.add(key, instance.pid, instance.startTicks);
    this.#rotator.ensure();
    return this.#record(instance);
  }

  #scan(): readonly ObservedInstance[] {
    const knownPids = new Set<number>();
    const knownInstances = new Set<string>();
    for (const instance of this.#table.all()) {
      if (instance.state === 'exited') continue;
      knownPids.add(instance.pid);
      knownInstances.add(keyOf(instance.object, instance.id));
    }
    return scanMarkedProcesses({ stateId: this.#stateId, knownPids, knownInstances, bootTimeMs: readBootTimeMs() });
  }

  // ── helpers ────────────────────────────────────────────────────────────────

  #record(instance: ObservedInstance): ObservedInstance {
    this.#table.put(instance);
    return instance;
  }

  // After `ms`, SIGKILL whatever is left of the instance's group.
  #armGrace(runtime: Runtime, instance: ObservedInstance, ms: number): void {
    const { pid, startTicks } = instance;
    this.#graced.add(runtime);
    runtime.cancelGrace = this.#clock.after(ms, () => {
      runtime.cancelGrace = undefined;
      this.#graced.delete(runtime);
      signalGroupIfOurs(pid, startTicks, 'SIGKILL');
    });
  }

  #cancelGrace(runtime: Runtime): void {
    runtime.cancelGrace?.();
    runtime.cancelGrace = undefined;
    this.#graced.delete(runtime);
  }

  #notify(object: ObjectKey): void {
    if (this.#closed) return;
    for (const listener of this.#listeners) listener(object);
  }

  *#rotated(): Generator<RotatedInstance> {
    for (const runtime of this.#runtimes.values()) yield runtime;
  }
}

// A plain copy without undefined values: what spawn needs, built once instead of per spawn.
function plainEnv(env: NodeJS.ProcessEnv): Readonly<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) result[name] = value;
  return result;
}
