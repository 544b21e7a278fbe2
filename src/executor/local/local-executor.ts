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
 * With lifecycle hooks (hooks.ts), none of which an apply waits for:
 *
 *     start ─(preStart)─> starting ──ok──> running ─(postStart, not Ready yet)─> running
 *                            └──fails──> exited (HookFailure)   postStart fails ──> stop (HookFailure)
 *     stop ─> stopping ─(preStop, then the signal; the grace period counts from preStop)─>
 *             exit ─(postStop once the group is gone)─> exited
 *
 * A stop during preStart cuts the hook; the program never runs. postStop also follows an exit on
 * the program's own, like systemd's ExecStopPost; the slot restarts after it (a later start).
 * Programs start through the spawn helper (shim/tend-shim.c, see shim-client.ts): each runs under
 * a shim of its own, in a cgroup of its own, and its shim writes its exit file, which the
 * executor learns from an inotify watch (exit-watcher.ts), for its own instances and adopted ones
 * alike; a slow safety poll catches a program whose shim died. Without the helper binary the
 * executor says so once and spawns directly: own children report exits through their `exit`
 * event, and adopted processes are polled by {@link AdoptedWatcher}. One adopted mid-stop is
 * SIGKILLed after the default grace period. It must not make decisions: what to start or stop
 * comes only from actions.
 */
import { rmSync } from 'node:fs';
import type { Action, ActionResult, ResumeAction, StandingOrder, StartAction, StopAction, SuspendAction } from '../../model/action.ts';
import { exitOf, isLimitStop, type ExitInfo, type Observed, type ObservedInstance } from '../../model/instance.ts';
import type { Hook, LogPolicy, ObjectKey, ProgramSpec, StopPolicy } from '../../model/object.ts';
import type { Cancel, Clock } from '../../platform/clock.ts';
import type { TurnYield } from '../../platform/turn-budget.ts';
import type { AdoptReport, Executor } from '../executor.ts';
import { isSameProcess, lostInstance, scanMarkedProcesses } from './adopt.ts';
import { AdoptedWatcher } from './adopted-watcher.ts';
import { forgetHooks, hooksRecorded } from './hook-records.ts';
import { runHook, type RunningHook } from './hooks.ts';
import { runningInstance, spawnErrorInstance, startingInstance, withoutHook, type Launch } from './instance-records.ts';
import { InstanceTable } from './instance-table.ts';
import { groupExists, isSignalName, signalGroup, signalGroupIfOurs } from './kill-group.ts';
import { logPaths, readLogTail, STDERR_TAIL_LINES } from './log-files.ts';
import { LogRotator, type RotatedInstance } from './log-rotator.ts';
import { readBootTimeMs, readProcStat } from './proc-stat.ts';
import { createKernelLimits } from './kernel-limits.ts';
import type { KernelEnd } from './oom-exit.ts';
import { spawnInstance, type ResolvedProgram, type SpawnContext, type SpawnFailure, type SpawnRequest } from './spawn-instance.ts';
import { instanceOfRun, isRunAlive, isShimAlive, shimEnd } from './adopt-runs.ts';
import type { AbandonedHook } from './instance-env.ts';
import { killCgroup } from './cgroup-kill.ts';
import { orderPathOf, readRunDir, runDirOf, type RunEntry } from './run-dir.ts';
import { OrderBook, type ArmableInstance, type Fired } from './standing-orders.ts';
import { ShimClient } from './shim-client.ts';
import type { ShimExit } from './shim-protocol.ts';
import { ShimWatch, type ShimHandle } from './shim-watch.ts';
import { shimFailure, spawnThroughShim } from './spawn-shim.ts';

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
  /**
   * Kill the lifecycle hooks an earlier controller left running when adopting, and what is left
   * of instances found gone (their cgroups, their run files) (the controller does; an offline
   * look such as `tend get` only observes and must never kill anything).
   */
  readonly cutAbandonedHooks?: boolean;
  /**
   * The spawn helper binary; defaults to the one `npm run build` made. `null` (or
   * `TEND_SPAWN_HELPER=off` in `env`): start programs directly, as tend did before the helper.
   */
  readonly shimBinary?: string | null;
  /** Problems that degrade but never stop supervision (log files on a full disk, a failed hook). */
  readonly onWarning?: Warn;
  /** What happened without an action to report it (a program started once its preStart passed). */
  readonly onNormal?: Warn;
  /** Long work (writing the orders of a whole bring-up) gives up the turn when this says so. */
  readonly yieldTurn?: TurnYield;
}

/** Reports a problem of `object` (and of one of its instances). */
export type Warn = (reason: string, message: string, object: ObjectKey, instance?: string) => void;

/** Grace period, from adoption, of an instance adopted while stopping (the schema's default). */
const ADOPTED_STOP_GRACE_MS = 10_000;

/** `TEND_SPAWN_HELPER=off` in tend's environment: start programs directly, without the helper. */
export const SPAWN_HELPER_ENV = 'TEND_SPAWN_HELPER';

/** Log policy assumed for adopted instances, whose spec is not known. */
const ADOPTED_LOGS: LogPolicy = { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5 };

// What the executor tracks beside the observed instance, per live (running or stopping) instance.
interface Runtime {
  readonly object: ObjectKey;
  readonly id: string;
  readonly adopted: boolean;
  readonly logs: LogPolicy;
  /** What was launched; undefined for an instance adopted from an earlier controller. */
  readonly request: SpawnRequest | undefined;
  /** The lifecycle hook running now. */
  hook: RunningHook | undefined;
  /** The program and stop policy of the stop under way, whose hooks it runs. */
  stopping: StopHooks | undefined;
  /** The program has exited and postStop runs (or waits for the group to go): nothing to signal. */
  ending: boolean;
  cancelGrace: Cancel | undefined;
  /** Drop the record on exit (stop with `forget`). */
  forget: boolean;
  /** The shim watching the program, when it was started through the spawn helper. */
  readonly shim: ShimHandle | undefined;
  /** How the start was resolved, kept until the first plan that arms its object has run. */
  program?: ResolvedProgram | undefined;
}

// Where a stop's hooks come from: the manifest's current program, else what was launched.
interface StopHooks {
  readonly program: ProgramSpec;
  readonly stop: StopPolicy;
}

type LaunchResult =
  | { readonly ok: true; readonly instance: ObservedInstance }
  | { readonly ok: false; readonly failure: Promise<SpawnFailure> };

// What adoption reports, filled in as it goes.
interface AdoptLists {
  readonly adopted: ObservedInstance[];
  readonly lost: ObservedInstance[];
  readonly found: ObservedInstance[];
  readonly ended: ObservedInstance[];
  /** Tokens of replacements that standing orders started, with when the program they replaced ended. */
  readonly replacing: Map<string, number>;
}

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

function newRuntime(object: ObjectKey, id: string, logs: LogPolicy, request?: SpawnRequest, shim?: ShimHandle): Runtime {
  const adopted = request === undefined;
  return { object, id, adopted, logs, request, hook: undefined, stopping: undefined, ending: false, cancelGrace: undefined, forget: false, shim };
}

class LocalExecutor implements Executor {
  readonly #clock: Clock;
  readonly #spawn: SpawnContext;
  readonly #onWarning: Warn;
  readonly #onNormal: Warn;
  readonly #table = new InstanceTable();
  readonly #runtimes = new Map<string, Runtime>();
  /** Runtimes that keep how their start was resolved, by object, until the object is armed. */
  readonly #resolved = new Map<ObjectKey, Runtime[]>();
  readonly #listeners = new Set<(object: ObjectKey, instance?: ObservedInstance) => void>();
  readonly #watcher: AdoptedWatcher;
  readonly #rotator: LogRotator;
  readonly #stateId: string;
  readonly #cutAbandonedHooks: boolean;
  /** Runtimes with an armed grace timer, including exited ones whose group outlived the leader. */
  readonly #graced = new Set<Runtime>();
  readonly #runDir: string;
  readonly #shims: ShimWatch;
  /** Spawns awaiting the helper's answer, by instance key. */
  readonly #pending = new Map<string, Promise<LaunchResult>>();
  readonly #orders: OrderBook;
  #closed = false;

  constructor(options: LocalExecutorOptions) {
    this.#clock = options.clock;
    this.#stateId = options.stateId;
    this.#cutAbandonedHooks = options.cutAbandonedHooks ?? false;
    this.#onWarning = options.onWarning ?? (() => undefined);
    this.#onNormal = options.onNormal ?? (() => undefined);
    this.#spawn = {
      stateDir: options.stateDir,
      stateId: options.stateId,
      baseEnv: plainEnv(options.env ?? process.env),
      asRoot: options.asRoot ?? process.getuid?.() === 0,
      onLogFailure: (message, object) => this.#onWarning('LogOpenFailed', message, object),
      kernel: createKernelLimits(options.stateId),
    };
    this.#watcher = new AdoptedWatcher(this.#clock, (key) => this.#onAdoptedDeath(key));
    this.#runDir = runDirOf(options.stateDir);
    this.#shims = new ShimWatch({
      runDir: this.#runDir,
      clock: this.#clock,
      client: shimOption(options),
      owner: this.#cutAbandonedHooks,
      hasCgroups: () => this.#spawn.kernel?.host()?.membership !== undefined,
      tell: (reason, message) => {
        process.stderr.write(`tend: ${message}\n`);
        this.#onWarning(reason, message, 'controller');
      },
      onExit: (key, exit) => this.#onShimExit(key, exit),
      onLost: (key) => this.#onShimLost(key),
    });
    this.#orders = new OrderBook({
      runDir: this.#runDir,
      spawn: { ...this.#spawn, runDir: this.#runDir },
      shims: this.#shims,
      clock: this.#clock,
      controller: { pid: process.pid, startTicks: readProcStat(process.pid)?.startTicks ?? 0 },
      ...(options.yieldTurn ? { yieldTurn: options.yieldTurn } : {}),
    });
    this.#rotator = new LogRotator({
      clock: this.#clock,
      stateDir: options.stateDir,
      list: () => this.#rotated(),
      onWarning: (reason, message, object) => this.#onWarning(reason, message, object),
    });
  }

  observe(): Promise<Observed> {
    this.#orders.observed();
    return Promise.resolve(this.#table.observed());
  }

  arm(object: ObjectKey, orders: readonly StandingOrder[]): void {
    if (this.#closed || !this.#cutAbandonedHooks) return;
    this.#orders.arm(object, orders, (instance) => this.#armable(object, instance));
    // An object with no order keeps no resolved start; an order's write releases its own.
    if (orders.length > 0) return;
    for (const runtime of this.#resolved.get(object) ?? []) runtime.program = undefined;
    this.#resolved.delete(object);
  }

  settle(): void {
    this.#orders.settle();
  }

  disarm(): void {
    this.#orders.disarmAll();
  }

  apply(action: Action): Promise<ActionResult> {
    // An action on an instance whose spawn awaits the helper's answer waits for it first.
    const pending = this.#pending.get(keyOf(action.object, action.instance));
    if (pending && action.type !== 'wait') return pending.then(() => this.apply(action));
    switch (action.type) {
      case 'start':
        return this.#start(action);
      case 'stop':
        return Promise.resolve(this.#stop(action));
      case 'wait':
        return Promise.resolve({ ok: true, action, outcome: 'unchanged' });
      case 'suspend':
      case 'resume':
        return Promise.resolve(this.#pause(action));
    }
  }

  subscribe(listener: (object: ObjectKey, instance?: ObservedInstance) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  adopt(records: readonly ObservedInstance[]): Promise<AdoptReport> {
    // The controller's helper starts while the manifests load, not with the first spawn.
    if (this.#cutAbandonedHooks) this.#shims.warm();
    const runs = readRunDir(this.#runDir);
    // Orders an earlier controller left armed: their shims no longer fire them (it is gone).
    if (this.#cutAbandonedHooks) for (const entry of runs) rmSync(orderPathOf(this.#runDir, entry.token), { force: true });
    const byProcess = new Map(runs.map((entry) => [`${entry.run.pid}:${entry.run.startTicks}`, entry]));
    const report: AdoptLists = { adopted: [], lost: [], found: [], ended: [], replacing: new Map() };
    for (const record of records) {
      if (this.#runtimes.has(keyOf(record.object, record.id))) continue;
      const entry = byProcess.get(`${record.pid}:${record.startTicks}`);
      byProcess.delete(`${record.pid}:${record.startTicks}`);
      if (entry?.exit?.next !== undefined) report.replacing.set(entry.exit.next, entry.exit.at);
      if (record.state === 'exited') this.#putExited(record, entry?.token);
      else if (entry) this.#adoptRun(record, entry, report);
      else if (isSameProcess(record)) report.adopted.push(this.#takeOver(record));
      else report.lost.push(this.#record(lostInstance(record, this.#clock.now())));
    }
    this.#adoptUnrecorded([...byProcess.values()], report);
    // Without the helper, instances are found by their marker, as before it; with it, never.
    const scan = this.#shims.available() ? { instances: [], hooks: this.#abandonedHooks() } : this.#scan();
    if (this.#cutAbandonedHooks) forgetHooks(this.#runDir);
    report.found.push(...scan.instances.map((instance) => this.#takeOver(instance)));
    const { adopted, lost, found, ended } = report;
    const base = ended.length > 0 ? { adopted, lost, found, ended } : { adopted, lost, found };
    if (!this.#cutAbandonedHooks || scan.hooks.length === 0) return Promise.resolve(base);
    for (const hook of scan.hooks) signalGroup(hook.pid, 'SIGKILL');
    return Promise.resolve({ ...base, cutHooks: scan.hooks });
  }

  snapshot(): readonly ObservedInstance[] {
    return this.#table.all();
  }

  close(): Promise<void> {
    this.#orders.disarmAll();
    this.#closed = true;
    this.#watcher.close();
    this.#shims.close();
    this.#rotator.close();
    for (const runtime of this.#graced) this.#cancelGrace(runtime);
    for (const runtime of this.#runtimes.values()) runtime.hook?.cancel();
    return Promise.resolve();
  }

  // ── actions ────────────────────────────────────────────────────────────────

  async #start(action: StartAction): Promise<ActionResult> {
    const existing = this.#table.get(action.object, action.instance);
    if (existing && existing.state !== 'exited') return { ok: true, action, outcome: 'unchanged', instance: existing };
    return this.#resultOf(action, this.#launch(action));
  }

  #stop(action: StopAction): ActionResult {
    const instance = this.#table.get(action.object, action.instance);
    const runtime = this.#runtimes.get(keyOf(action.object, action.instance));
    if (!instance || !runtime) {
      if (instance && action.forget) this.#forget(action.object, action.instance);
      return { ok: true, action, outcome: instance && action.forget ? 'stopped' : 'unchanged' };
    }
    return this.#beginStop(action, instance, runtime, action.forget);
  }

  // SIGSTOP / SIGCONT to a running instance's group; the record keeps when and for how long.
  #pause(action: SuspendAction | ResumeAction): ActionResult {
    const instance = this.#table.get(action.object, action.instance);
    const runtime = this.#runtimes.get(keyOf(action.object, action.instance));
    if (!instance || !runtime || instance.state !== 'running') return { ok: true, action, outcome: 'unchanged' };
    const suspend = action.type === 'suspend';
    if (suspend === (instance.suspendedAt !== undefined)) return { ok: true, action, outcome: 'unchanged', instance };
    if (this.#signal(runtime, instance, suspend ? 'SIGSTOP' : 'SIGCONT') === 'denied') {
      return { ok: false, action, reason: 'SignalFailed', message: `not permitted to signal process group ${instance.pid}` };
    }
    const next = this.#record(suspend ? { ...instance, suspendedAt: this.#clock.now() } : resumedRecord(instance, this.#clock.now()));
    return { ok: true, action, outcome: suspend ? 'suspended' : 'resumed', instance: next };
  }

  // Signals the group and arms the grace timer; a stop already under way keeps its deadline.
  // The latest `forget` wins once the stop is under way.
  // A stop with a preStop hook signals once the hook is done; the grace timer runs from the start.
  #beginStop(action: StopAction, instance: ObservedInstance, runtime: Runtime, forget: boolean): ActionResult {
    // Before any signal: an order taken after this cannot exist, one taken before is killed when it comes.
    this.#orders.disarm(runtime.object, runtime.id);
    if (instance.state === 'stopping' && (runtime.cancelGrace || runtime.hook || runtime.ending)) {
      runtime.forget = forget;
      return { ok: true, action, outcome: 'stopping', instance };
    }
    if (instance.state === 'starting') {
      runtime.forget = forget;
      return { ok: true, action, outcome: 'stopped', instance: this.#abortStart(runtime, instance, action) };
    }
    const { signal, gracePeriodMs } = action.stop;
    if (!isSignalName(signal)) {
      return { ok: false, action, reason: 'InvalidSignal', message: `stop.signal "${signal}" is not a signal name` };
    }
    const hooks = stopHooksOf(action, runtime);
    const preStop = hooks?.stop.preStop;
    if (!preStop) {
      const sent = this.#signal(runtime, instance, signal);
      if (sent === 'denied') return { ok: false, action, reason: 'StopFailed', message: `not permitted to signal process group ${instance.pid}` };
    }
    // A suspended group handles no signal but SIGKILL until it is continued.
    if (instance.suspendedAt !== undefined) {
      this.#signal(runtime, instance, 'SIGCONT');
      instance = resumedRecord(instance, this.#clock.now());
    }
    runtime.hook?.cancel();
    runtime.forget = forget;
    runtime.stopping = hooks;
    this.#armGrace(runtime, instance, gracePeriodMs);
    const limitMessage = isLimitStop(action.reason) ? { stopMessage: action.message } : {};
    const stopping = this.#record({ ...withoutHook(instance), state: 'stopping', stopReason: action.reason, ...limitMessage, ...(preStop ? { hook: 'preStop' as const } : {}) });
    if (preStop && hooks) this.#preStop(runtime, stopping, hooks.program, preStop, { signal, gracePeriodMs });
    return { ok: true, action, outcome: 'stopping', instance: stopping };
  }

  #signal(runtime: Runtime, instance: ObservedInstance, signal: NodeJS.Signals): 'sent' | 'gone' | 'denied' {
    const { pid, startTicks } = instance;
    return runtime.adopted ? signalGroupIfOurs(pid, startTicks, signal) : signalGroup(pid, signal);
  }

  // ── lifecycle hooks ────────────────────────────────────────────────────────

  // preStart runs while the instance is `starting`; its success spawns the program.
  #preStart(launch: Launch, hook: Hook): ObservedInstance {
    const key = keyOf(launch.object, launch.instance);
    const runtime = newRuntime(launch.object, launch.instance, launch.spec.logs, launch);
    const starting = this.#record(startingInstance(launch, this.#clock.now()));
    const running = (runtime.hook = runHook(this.#spawn, launch, 'preStart', hook, this.#clock));
    this.#runtimes.set(key, runtime);
    void running.result.then((result) => {
      if (this.#runtimes.get(key) !== runtime || this.#closed) return;
      runtime.hook = undefined;
      this.#runtimes.delete(key);
      if (result.ok) {
        void this.#spawnProgram(launch).then((launched) => {
          if (launched.ok) this.#onNormal('Started', `${launch.instance} started (pid ${launched.instance.pid}) after its preStart hook`, launch.object, launch.instance);
          this.#announce(launch.object, launched);
        });
        return;
      }
      this.#onWarning('HookFailed', `${launch.instance}: ${result.message}; the program was not started`, launch.object, launch.instance);
      const exit: ExitInfo = { code: result.code, signal: result.signal, at: this.#clock.now(), reason: 'HookFailure', requested: false, message: result.message };
      this.#record({ ...withoutHook(starting), state: 'exited', exit: this.#withStderrTail(exit, launch.instance) });
      this.#notify(launch.object);
    });
    return starting;
  }

  // A stop while preStart runs: the hook is cut and the program never starts.
  #abortStart(runtime: Runtime, instance: ObservedInstance, action: StopAction): ObservedInstance {
    runtime.hook?.cancel();
    this.#runtimes.delete(keyOf(runtime.object, runtime.id));
    const exit: ExitInfo = { code: null, signal: null, at: this.#clock.now(), reason: 'Exited', requested: true, message: 'stopped during its preStart hook' };
    const exited = this.#record({ ...withoutHook(instance), state: 'exited', stopReason: action.reason, exit });
    if (runtime.forget) this.#forget(runtime.object, runtime.id);
    return exited;
  }

  // postStart runs beside the program, which is not Ready until it is done; its failure stops the
  // instance as a HookFailure.
  #postStart(runtime: Runtime, instance: ObservedInstance, request: SpawnRequest, hook: Hook, stop: StopPolicy): ObservedInstance {
    const marked = this.#record({ ...instance, hook: 'postStart' });
    const running = (runtime.hook = runHook(this.#spawn, request, 'postStart', hook, this.#clock));
    void running.result.then((result) => {
      if (runtime.hook !== running) return;
      runtime.hook = undefined;
      const current = this.#table.get(runtime.object, runtime.id);
      if (current?.state !== 'running' || current.pid !== instance.pid) return;
      if (result.ok) {
        this.#record(withoutHook(current));
        this.#notify(runtime.object);
        return;
      }
      this.#onWarning('HookFailed', `${runtime.id}: ${result.message}; stopping the instance`, runtime.object, runtime.id);
      const message = `${runtime.id} postStart hook failed; stopping`;
      const action: StopAction = { type: 'stop', object: runtime.object, instance: runtime.id, reason: 'HookFailure', message, stop, forget: false };
      this.#beginStop(action, current, runtime, false);
      this.#notify(runtime.object);
    });
    return marked;
  }

  // preStop, cut at the grace period at the latest; whatever its outcome, the signal follows.
  #preStop(runtime: Runtime, instance: ObservedInstance, program: ProgramSpec, hook: Hook, stop: { readonly signal: NodeJS.Signals; readonly gracePeriodMs: number }): void {
    const running = (runtime.hook = runHook(this.#spawn, hookRequest(instance, program), 'preStop', hook, this.#clock, Math.min(hook.timeoutMs, stop.gracePeriodMs)));
    void running.result.then((result) => {
      if (runtime.hook !== running) return;
      runtime.hook = undefined;
      if (!result.ok) this.#onWarning('HookFailed', `${runtime.id}: ${result.message}; stopping anyway`, runtime.object, runtime.id);
      const current = this.#table.get(runtime.object, runtime.id);
      if (current?.state !== 'stopping' || current.pid !== instance.pid || this.#runtimes.get(keyOf(runtime.object, runtime.id)) !== runtime) return;
      this.#record(withoutHook(current));
      if (this.#signal(runtime, current, stop.signal) === 'denied') {
        this.#onWarning('StopFailed', `${runtime.id}: not permitted to signal process group ${current.pid}`, runtime.object, runtime.id);
      }
    });
  }

  // postStop once the group is gone; the instance stays `stopping` until it is done.
  #postStop(key: string, runtime: Runtime, instance: ObservedInstance, exit: ExitInfo, hooks: StopHooks, hook: Hook): void {
    runtime.ending = true;
    this.#record({ ...instance, state: 'stopping', hook: 'postStop' });
    void whenGroupGone(instance.pid, this.#clock, hooks.stop.gracePeriodMs).then(() => {
      const running = (runtime.hook = runHook(this.#spawn, hookRequest(instance, hooks.program), 'postStop', hook, this.#clock));
      return running.result;
    }).then((result) => {
      runtime.hook = undefined;
      if (!result.ok) this.#onWarning('HookFailed', `${runtime.id}: ${result.message}`, runtime.object, runtime.id);
      this.#complete(key, runtime, instance, exit);
    });
  }

  // ── spawning ───────────────────────────────────────────────────────────────

  // Spawns (or begins preStart) and records synchronously, so no observe can see the slot empty
  // in between. The exited instance the new one replaces is forgotten only once the new one is
  // recorded.
  #launch(launch: Launch): Promise<LaunchResult> {
    const preStart = launch.spec.lifecycle.preStart;
    if (!preStart) return this.#spawnProgram(launch);
    const starting = this.#preStart(launch, preStart);
    this.#removeExited(launch.object, starting);
    return Promise.resolve({ ok: true, instance: starting });
  }

  // Through the helper when there is one; the instance key is held until it answers.
  #spawnProgram(launch: Launch): Promise<LaunchResult> {
    const fired = this.#orders.claim(launch);
    if (fired) return Promise.resolve(this.#takeReplacement(launch, fired));
    const client = this.#shims.client();
    if (!client) return Promise.resolve(this.#spawnDirect(launch));
    const key = keyOf(launch.object, launch.instance);
    const spawned = this.#spawnThroughShim(launch, client).finally(() => this.#pending.delete(key));
    this.#pending.set(key, spawned);
    return spawned;
  }

  async #spawnThroughShim(launch: Launch, client: ShimClient): Promise<LaunchResult> {
    const key = keyOf(launch.object, launch.instance);
    const token = this.#shims.newToken(launch.instance);
    this.#orders.started();
    const outcome = await spawnThroughShim({ ...this.#spawn, client, runDir: this.#runDir }, launch, token);
    if (!outcome.ok) {
      const failure = this.#recordSpawnError(launch, Promise.resolve(outcome.failure));
      this.#removeExited(launch.object, { id: launch.instance, replica: launch.replica, fallback: launch.fallback });
      return { ok: false, failure };
    }
    this.#shims.dropEnded(key);
    const shim = { token, cgroup: outcome.cgroup, shimPid: outcome.shimPid };
    const runtime = newRuntime(launch.object, launch.instance, launch.spec.logs, launch, shim);
    if (this.#cutAbandonedHooks) {
      runtime.program = outcome.program;
      this.#resolved.set(launch.object, [...(this.#resolved.get(launch.object) ?? []), runtime]);
    }
    this.#runtimes.set(key, runtime);
    const started = this.#started(launch, runtime, runningInstance(launch, outcome.pid, outcome.startTicks, this.#clock.now(), outcome.enforcement));
    this.#shims.watch(key, shim, outcome);
    return started;
  }

  // The program a standing order started in the slot is the start the plan asks for.
  #takeReplacement(launch: Launch, fired: Fired): LaunchResult {
    const key = keyOf(launch.object, launch.instance);
    this.#shims.dropEnded(key);
    const { pid, startTicks, shimPid, cgroup } = fired.run;
    const shim = { token: fired.token, cgroup: cgroup === '' ? undefined : cgroup, shimPid };
    const runtime = newRuntime(launch.object, launch.instance, launch.spec.logs, launch, shim);
    this.#runtimes.set(key, runtime);
    const started = this.#started(launch, runtime, runningInstance(launch, pid, startTicks, fired.at));
    this.#shims.watch(key, shim, { pid, startTicks });
    return started;
  }

  // A running instance under its own shim and cgroup, with no stop, hook or suspension under way.
  #armable(object: ObjectKey, id: string): ArmableInstance | undefined {
    const runtime = this.#runtimes.get(keyOf(object, id));
    const instance = this.#table.get(object, id);
    if (!runtime?.shim || runtime.shim.cgroup === undefined || runtime.stopping || runtime.ending || runtime.hook) return undefined;
    if (instance?.state !== 'running' || instance.suspendedAt !== undefined) return undefined;
    const { request, program } = runtime;
    const release = (): void => void (runtime.program = undefined);
    return { token: runtime.shim.token, ...(request && program ? { launched: { request, program, release } } : {}) };
  }

  #spawnDirect(launch: Launch): LaunchResult {
    const key = keyOf(launch.object, launch.instance);
    const runtime = newRuntime(launch.object, launch.instance, launch.spec.logs, launch);
    const outcome = spawnInstance(this.#spawn, launch, (code, signal, kernel) => this.#onChildExit(key, runtime, code, signal, kernel));
    if (!outcome.ok) {
      const failure = this.#recordSpawnError(launch, outcome.failure);
      this.#removeExited(launch.object, { id: launch.instance, replica: launch.replica, fallback: launch.fallback });
      return { ok: false, failure };
    }
    this.#runtimes.set(key, runtime);
    return this.#started(launch, runtime, runningInstance(launch, outcome.pid, outcome.startTicks, this.#clock.now(), outcome.enforcement));
  }

  // Records a program that runs now, then runs its postStart hook.
  #started(launch: Launch, runtime: Runtime, instance: ObservedInstance): LaunchResult {
    this.#rotator.ensure();
    const started = this.#record(instance);
    this.#removeExited(launch.object, started);
    const postStart = launch.spec.lifecycle.postStart;
    return { ok: true, instance: postStart ? this.#postStart(runtime, started, launch, postStart, launch.spec.stop) : started };
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

  async #resultOf(action: StartAction, launching: Promise<LaunchResult>): Promise<ActionResult> {
    const launched = await launching;
    if (launched.ok) return { ok: true, action, outcome: launched.instance.state === 'starting' ? 'starting' : 'started', instance: launched.instance };
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

  // Records the exit (after postStop), then forgets the instance if asked, then notifies.
  #finish(key: string, runtime: Runtime, end: Pick<ExitInfo, 'code' | 'signal' | 'reason' | 'message'>, at = this.#clock.now()): void {
    const instance = this.#table.get(runtime.object, runtime.id);
    if (runtime.adopted) this.#watcher.remove(key);
    this.#shims.unwatch(key);
    if (!instance) {
      this.#runtimes.delete(key);
      return;
    }
    // Members left after the SIGKILL (uninterruptible sleep) get the deadline's SIGKILL too.
    if (runtime.cancelGrace && !groupExists(instance.pid)) this.#cancelGrace(runtime);
    // A postStart or preStop hook has nothing left to act on.
    runtime.hook?.cancel();
    runtime.hook = undefined;
    const ended = exitOf(instance, end, at);
    const exit = ended.requested ? ended : this.#withStderrTail(ended, runtime.id);
    const hooks = runtime.stopping ?? launchedHooks(runtime);
    const postStop = hooks?.stop.postStop;
    if (postStop && hooks && !this.#closed) this.#postStop(key, runtime, withoutHook(instance), exit, hooks, postStop);
    else this.#complete(key, runtime, withoutHook(instance), exit);
  }

  #complete(key: string, runtime: Runtime, instance: ObservedInstance, exit: ExitInfo): void {
    if (this.#runtimes.get(key) === runtime) this.#runtimes.delete(key);
    const exited = this.#record({ ...instance, state: 'exited', exit });
    if (runtime.shim) this.#shims.ended(key, runtime.shim.token);
    if (runtime.forget) this.#forget(runtime.object, runtime.id);
    this.#notify(runtime.object, exited);
  }

  // A program that ended on its own: the last lines of its stderr go into the failure history.
  #withStderrTail(exit: ExitInfo, instance: string): ExitInfo {
    const tail = readLogTail(logPaths(this.#spawn.stateDir, instance).err, STDERR_TAIL_LINES);
    return tail ? { ...exit, stderrTail: tail } : exit;
  }

  // Tells listeners about a launch that no action waits for, once its outcome is known.
  #announce(object: ObjectKey, launched: LaunchResult): void {
    if (launched.ok) this.#notify(object);
    else void launched.failure.then(() => this.#notify(object));
  }

  // ── adoption ───────────────────────────────────────────────────────────────

  #takeOver(instance: ObservedInstance, shim?: ShimHandle): ObservedInstance {
    const key = keyOf(instance.object, instance.id);
    const runtime = newRuntime(instance.object, instance.id, ADOPTED_LOGS, undefined, shim);
    this.#runtimes.set(key, runtime);
    // A stop that was under way when the old controller died still ends in a SIGKILL.
    if (instance.state === 'stopping') this.#armGrace(runtime, instance, ADOPTED_STOP_GRACE_MS);
    this.#rotator.ensure();
    // A hook the old controller ran is not watched by this one.
    const adopted = this.#record(withoutHook(instance));
    if (shim) this.#shims.watch(key, shim, instance);
    else this.#watcher.add(key, instance.pid, instance.startTicks);
    return adopted;
  }

  // A recorded instance with a run file: ended (exit file), still running (in its cgroup, or its
  // shim still watching), or gone without a word (its shim died too): lost, and what is left of
  // its cgroup killed.
  #adoptRun(record: ObservedInstance, entry: RunEntry, report: AdoptLists): void {
    const alive = !entry.exit && (isRunAlive(entry) || isShimAlive(entry.run.shimPid));
    // Read again once the shim is known gone: it may have written the file since the first read.
    const exit = alive ? undefined : (entry.exit ?? this.#shims.readExit(entry.token));
    if (exit) report.ended.push(this.#recordEnded(record, entry.token, exit, report));
    else if (alive) report.adopted.push(this.#takeOver(record, shimOf(entry)));
    else {
      this.#shims.discard(entry);
      report.lost.push(this.#record(lostInstance(record, this.#clock.now())));
    }
  }

  // Run files no record names (the controller died before it saved them), oldest first: a live
  // program is found, an ended one reported with its exit; one whose slot already holds a live
  // instance is a duplicate and is killed. A live one a standing order started in the place of an
  // ended instance waits, in the controller that owns the state dir, for the plan's start of that
  // slot, as if its order had fired now: the end is reported and the restart recorded as the plan
  // decides (were it found, the end it replaced would be neither told nor counted).
  #adoptUnrecorded(entries: readonly RunEntry[], report: AdoptLists): void {
    const bootTimeMs = readBootTimeMs();
    for (const entry of [...entries].sort((a, b) => a.run.startTicks - b.run.startTicks)) {
      const instance = instanceOfRun(entry, bootTimeMs);
      const known = instance && this.#table.get(instance.object, instance.id);
      const newer = known?.state === 'exited' && entry.run.startTicks >= known.startTicks;
      const alive = !entry.exit && (isRunAlive(entry) || isShimAlive(entry.run.shimPid));
      const exit = alive ? undefined : (entry.exit ?? this.#shims.readExit(entry.token));
      const replaced = report.replacing.get(entry.token);
      if (!instance || (known && !newer)) this.#shims.discard(entry);
      else if (exit) report.ended.push(this.#recordEnded(instance, entry.token, exit, report));
      else if (alive && known && replaced !== undefined && this.#cutAbandonedHooks && instance.fallback !== true) this.#orders.adoptFired(instance.object, firedOf(instance, entry, replaced));
      else if (alive) report.found.push(this.#takeOver(instance, shimOf(entry)));
      else this.#shims.discard(entry);
    }
  }

  // An instance that ended while no controller ran, with its real exit.
  #recordEnded(record: ObservedInstance, token: string, end: ShimExit, report: AdoptLists): ObservedInstance {
    if (end.next !== undefined) report.replacing.set(end.next, end.at);
    const exit = exitOf(record, shimEnd(end, undefined), end.at);
    const told = exit.requested ? exit : this.#withStderrTail(exit, record.id);
    const ended = this.#putExited({ ...withoutHook(record), state: 'exited', exit: told }, token);
    return ended;
  }

  #putExited(instance: ObservedInstance, token: string | undefined): ObservedInstance {
    const key = keyOf(instance.object, instance.id);
    this.#shims.dropEnded(key);
    this.#table.put(instance);
    if (token !== undefined) this.#shims.ended(key, token);
    return instance;
  }

  // ── the spawn helper ───────────────────────────────────────────────────────

  // How the program ended; one that could not be started at all (its exec failed) is a SpawnError.
  #onShimExit(key: string, exit: ShimExit): void {
    const runtime = this.#runtimes.get(key);
    if (!runtime?.shim) return;
    this.#orders.ended(runtime.object, runtime.id, exit);
    const { request } = runtime;
    if (!exit.error || !request) this.#finish(key, runtime, shimEnd(exit, request?.spec.resources?.limits.memory), exit.at);
    else this.#finish(key, runtime, { code: null, signal: null, reason: 'SpawnError', message: shimFailure(request, exit.error.stage, exit.error.errno).message }, exit.at);
  }

  // The shim died with its program: nobody tells how it ended.
  #onShimLost(key: string): void {
    const runtime = this.#runtimes.get(key);
    if (runtime) this.#orders.disarm(runtime.object, runtime.id);
    if (runtime?.shim) this.#finish(key, runtime, { code: null, signal: null, reason: 'Lost' });
  }

  #removeExited(object: ObjectKey, started: Parameters<InstanceTable['removeExited']>[1]): void {
    for (const removed of this.#table.removeExited(object, started)) this.#shims.dropEnded(keyOf(object, removed.id));
  }

  #forget(object: ObjectKey, id: string): void {
    this.#table.remove(object, id);
    this.#shims.dropEnded(keyOf(object, id));
  }

  // Hooks a gone controller left running, for the controller to cut: looked for in /proc only
  // when a hook's record is left in the run dir (a read-only look cuts nothing, so never looks).
  #abandonedHooks(): readonly AbandonedHook[] {
    return this.#cutAbandonedHooks && hooksRecorded(this.#runDir) ? this.#scan().hooks : [];
  }

  #scan(): ReturnType<typeof scanMarkedProcesses> {
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
      // The whole cgroup: children that left the group with setsid or a double fork too.
      if (runtime.shim?.cgroup !== undefined) killCgroup(runtime.shim.cgroup);
      signalGroupIfOurs(pid, startTicks, 'SIGKILL');
    });
  }

  #cancelGrace(runtime: Runtime): void {
    runtime.cancelGrace?.();
    runtime.cancelGrace = undefined;
    this.#graced.delete(runtime);
  }

  #notify(object: ObjectKey, instance?: ObservedInstance): void {
    if (this.#closed) return;
    for (const listener of this.#listeners) listener(object, instance);
  }

  *#rotated(): Generator<RotatedInstance> {
    for (const runtime of this.#runtimes.values()) yield runtime;
  }
}

// The helper connection to use: a given binary, none (`null`, or TEND_SPAWN_HELPER=off), or
// null to look for the built one on first use.
function shimOption(options: LocalExecutorOptions): ShimClient | undefined | null {
  if (options.shimBinary === null || (options.env ?? process.env)[SPAWN_HELPER_ENV] === 'off') return undefined;
  return options.shimBinary === undefined ? null : new ShimClient(options.shimBinary);
}

// The shim of a run file's program, as the executor tracks it.
// The replacement of `entry`, found at adoption, as the fired order it is.
function firedOf(instance: ObservedInstance, entry: RunEntry, at: number): Fired {
  const { id, replica, specHash, generation } = instance;
  return { start: { instance: id, replica, specHash, generation }, token: entry.token, run: entry.run, at };
}

function shimOf(entry: RunEntry): ShimHandle {
  const { cgroup, shimPid } = entry.run;
  return { token: entry.token, cgroup: cgroup === '' ? undefined : cgroup, shimPid };
}

// The hooks of a stop: the stop action's when it names the program, else those launched with.
function stopHooksOf(action: StopAction, runtime: Runtime): StopHooks | undefined {
  if (action.program) return { program: action.program, stop: action.stop };
  return launchedHooks(runtime);
}

function launchedHooks(runtime: Runtime): StopHooks | undefined {
  const spec = runtime.request?.spec as (ProgramSpec & { readonly stop?: StopPolicy }) | undefined;
  return spec?.stop ? { program: spec, stop: spec.stop } : undefined;
}

// What a hook needs to know of the instance it runs for.
function hookRequest(instance: ObservedInstance, program: ProgramSpec): SpawnRequest {
  const { object, id, replica, specHash, generation } = instance;
  return { object, instance: id, replica, spec: program, specHash, generation };
}

// Resolves once no process of group `pgid` is left, or after `limitMs`.
function whenGroupGone(pgid: number, clock: Clock, limitMs: number): Promise<void> {
  const deadline = clock.now() + limitMs;
  return new Promise((resolve) => {
    const check = (): void => {
      if (!groupExists(pgid) || clock.now() >= deadline) resolve();
      else clock.after(10, check);
    };
    check();
  });
}

// A plain copy without undefined values: what spawn needs, built once instead of per spawn.
// The record of a suspended instance once continued: its suspended time added up.
function resumedRecord(instance: ObservedInstance, now: number): ObservedInstance {
  const { suspendedAt, ...rest } = instance;
  const suspendedMs = (instance.suspendedMs ?? 0) + (suspendedAt === undefined ? 0 : now - suspendedAt);
  return { ...rest, suspendedMs, resumedAt: now };
}

function plainEnv(env: NodeJS.ProcessEnv): Readonly<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) result[name] = value;
  return result;
}
