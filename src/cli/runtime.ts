/**
 * A controller with its state dir around it: lock, state file, event log, local executor,
 * adoption of what an earlier controller left running, and manifest loading. `tend up`,
 * `reconcile --once` and the imperative verbs (when no controller runs) all open one.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { ManifestObject, ObjectKey } from '../model/object.ts';
import type { ObservedInstance } from '../model/instance.ts';
import { formatDiagnostic, type Diagnostic } from '../model/diagnostic.ts';
import type { Executor } from '../executor/executor.ts';
import { createLocalExecutor } from '../executor/local/local-executor.ts';
import { placeRunDir } from '../executor/local/run-dir-place.ts';
import { createController, NEVER_YIELD, type Controller, type ControllerOptions } from '../controller/controller.ts';
import { bookFromObjects } from '../controller/desired.ts';
import { buildStatus, type ObjectView, type StatusInput } from '../controller/status.ts';
import type { ObjectSummary } from '../controller/status-summary.ts';
import type { StatusSource } from '../controller/status-cache.ts';
import { createStatusKeeper, type StatusCounts } from './status-keeper.ts';
import { jsonOf } from '../api/json-body.ts';
import { systemClock, type Clock } from '../platform/clock.ts';
import { alwaysAwaitable, createTurnBudget, createTurnPriority, MAX_GIVE_WAY_MS } from '../platform/turn-budget.ts';
import { openEventLog, type EventLog } from '../platform/event-log.ts';
import { acquireLock } from '../platform/lock.ts';
import { ensureStateDir, stateIdOf } from '../platform/state-dir.ts';
import { createStateSaver, readStateFile, writeStateFile } from '../platform/state-file.ts';
import { createStateTracker, replayRecords, type LiveState, type PersistedState, type StateRecord } from './state-journal.ts';
import type { CliContext } from './context.ts';
import type { KeyPlan } from '../planner/key-plan.ts';
import type { ManifestCache } from '../manifest/load.ts';
import { loadManifestDir } from './load-manifests.ts';
import { createProber, probeTargets } from '../monitor/prober.ts';
import { extraCaTrust } from './extra-ca.ts';
import type { ProbeTiming } from '../model/health.ts';
import { monitorIntervalOf } from '../monitor/monitor-interval.ts';
import { createYoungGenerationFit, stateSizeOf } from '../platform/young-generation.ts';
import { procSource } from '../monitor/proc-reader.ts';
import { createSampler, type Sampler, type WatchOf } from '../monitor/sampler.ts';
import type { History, ObjectHistory } from '../model/history.ts';
import { createResourceGuard, revisionPolicies, type InstanceAlert, type ResourceGuard, type ResourceGuardOptions } from '../controller/resource-guard.ts';
import { isProcessObject } from '../model/object.ts';
import { withholdSecretsOfEach } from '../model/secrets.ts';
import { createUsageHistory, type UsageHistory } from '../monitor/usage-history.ts';
import type { ManifestWatcher } from '../watch/watch-manifests.ts';

export type { PersistedState } from './state-journal.ts';

export interface Runtime {
  readonly controller: Controller;
  readonly executor: Executor;
  readonly events: EventLog;
  readonly clock: Clock;
  /** Resource sampling; idle until `tend up` starts it. */
  readonly sampler: Sampler;
  /** CPU and memory over time per instance, from the sampler's passes (for the dashboard). */
  readonly usageHistory: UsageHistory;
  /** Open resource alerts (none until the sampler runs). */
  alerts(): readonly InstanceAlert[];
  /** Loads the manifests and hands them to the controller; says what this load found. */
  reload(): Promise<LoadVerdict>;
  /**
   * Once this resolves, the controller holds the manifests as they are now: after the load under
   * way (if any), and after one more unless the watcher vouches that nothing changed since the
   * last load began (`tend diff`).
   */
  current(): Promise<void>;
  /**
   * Has every later load tell `watcher` what it read, and lets `current()` rely on its count of
   * changes. Before the first load, so that no change during it goes unseen.
   */
  watchWith(watcher: Pick<ManifestWatcher, 'track' | 'changes'>): void;
  /** What the latest load said: its diagnostics, or why the directory could not be read. */
  lastLoad(): LoadReport;
  /** Loads of the manifest directory so far. */
  loads(): number;
  /**
   * Status views of every object, or with `keys` of those only (planned alone, so a look at one
   * object costs one object). The views of every object are built at most once per
   * STATUS_MAX_AGE_MS while the manifests, the history and the instances stay the same: requests
   * in that window (a `tend get -w`, a dashboard, many clients) share one build instead of each
   * planning every object again, and any change (an exit, a start, an operator command) is seen
   * by the next request.
   */
  status(keys?: readonly ObjectKey[]): Promise<ObjectView[]>;
  /**
   * Every object's view as `tend get -o json` lists it: like `status()`, but during the fill that
   * follows a manifest load it does not wait; objects the fill has not reached show from their
   * object and instances with nothing planned (see status-keeper.ts).
   */
  list(): Promise<ObjectView[]>;
  /** Runs the work of an API answer ahead of background work (turn-budget.ts, `TurnPriority`). */
  foreground<T>(work: () => Promise<T>): Promise<T>;
  /** One line per object (`tend get`'s table, the dashboard's overview), answered as `list()` is. */
  summaries(): Promise<ObjectSummary[]>;
  /** What the status keeping did (`/metrics`). */
  statusCounts(): StatusCounts;
  /** How late probes start against their schedule. */
  probeTiming(): ProbeTiming;
  /** Calls `listener` with each pass's plans once the pass has applied them; returns an unsubscribe. */
  onPass(listener: (plans: readonly KeyPlan[]) => void): () => void;
  /** Writes the state file now. */
  save(): void;
  /** Saves, flushes events, releases the lock; processes keep running. */
  close(): Promise<void>;
}

/**
 * What one load of the manifest directory found: `ok`; `invalid`, an error in some file (the
 * file's last valid objects stay in force); `unreadable`, the directory itself.
 */
export type LoadVerdict = 'ok' | 'invalid' | 'unreadable';

/** The diagnostics of a load, or the error of a directory that could not be read. */
export interface LoadReport {
  readonly diagnostics: readonly Diagnostic[];
  readonly dirError?: string;
}

export type OpenResult = { readonly ok: true; readonly runtime: Runtime } | { readonly ok: false; readonly holderPid: number };

// The first save of a quiet spell waits SAVE_DELAY_MS so a burst is written once; saves then
// start at least SAVE_SPACING_MS apart, so a flapping program cannot make the controller write
// more than a few times a second. A SIGKILLed controller loses at most that window of history
// (counters, failures); its processes are adopted by their marker whatever the file says.
const SAVE_DELAY_MS = 20;
const SAVE_SPACING_MS = 250;
const PRUNE_GRACE_MS = 300;

// One turn of the event loop for everything else (API requests, signals, exits) during long work,
// once that work has kept the loop for its budget.
// (An answer of `tend get` runs in one turn: see status-keeper.ts.)
const yieldTurn = createTurnBudget();

/** Opens the state dir of `ctx` as its one controller. */
export async function openRuntime(ctx: CliContext, clock: Clock = systemClock, pass: Pick<ControllerOptions, 'held' | 'onPass'> = {}): Promise<OpenResult> {
  ensureStateDir(ctx.stateDir);
  const lock = acquireLock(ctx.stateDir);
  if (!lock.ok) return lock;
  placeRunDir(ctx.stateDir);
  const events = openEventLog(ctx.stateDir, clock);
  const persisted = readPersisted(ctx.stateDir, clock, events);
  // API answers first: a bring-up's pass, the status fill and standing orders give way to them.
  const priority = createTurnPriority(MAX_GIVE_WAY_MS, (ms, fn) => clock.after(ms, fn));
  const backgroundTurn = priority.background(yieldTurn);
  const executor = createLocalExecutor({
    stateDir: ctx.stateDir,
    stateId: stateIdOf(ctx.stateDir),
    clock,
    asRoot: ctx.asRoot,
    cutAbandonedHooks: true,
    yieldTurn: backgroundTurn,
    onWarning: (reason, message, object, instance) => events.record({ object, ...(instance ? { instance } : {}), type: 'Warning', reason, message }),
    onNormal: (reason, message, object, instance) => events.record({ object, ...(instance ? { instance } : {}), type: 'Normal', reason, message }),
  });
  await adoptRecorded(executor, persisted, events);
  const tracker = createStateTracker();
  const saver = createStateSaver({
    stateDir: ctx.stateDir,
    delayMs: SAVE_DELAY_MS,
    minSpacingMs: SAVE_SPACING_MS,
    snapshot: () => persistedOf(liveOf(controller, executor)),
    changes: () => secretsWithheld(tracker.changes(liveOf(controller, executor))),
    mark: () => tracker.mark(liveOf(controller, executor)),
    now: () => clock.now(),
    // A save (a journal line, or a snapshot of every object) waits for an answer being made.
    after: (ms, fn) => {
      let cancelWait: (() => void) | undefined;
      const cancelTimer = clock.after(ms, () => (cancelWait = priority.whenFree(fn)), true);
      return () => {
        cancelTimer();
        cancelWait?.();
      };
    },
    onError: (error) => events.record({ object: 'controller', type: 'Warning', reason: 'StateNotSaved', message: `state file not written: ${(error as Error).message}` }),
    yieldTurn: backgroundTurn,
  });
  const policyOf = revisionPolicies(() => controller.desired().objects, () => controller.history());
  const guard = createResourceGuard({ clock, events, policyOf });
  const usageHistory = createUsageHistory();
  const sampler = createSampler({
    clock,
    source: procSource,
    instances: liveInstances(executor),
    onSample: (samples) => {
      guard.observe(samples);
      usageHistory.record(samples, clock.now());
    },
    watches: watchesOf(() => controller.desired().objects, () => controller.history(), guard, policyOf),
  });
  const prober = createProber({ clock, events, tlsTrust: extraCaTrust() });
  // Coalesced and off the exit → restart path: a burst of exits or starts syncs the prober once.
  // With no probe anywhere (none desired, none kept by a running older revision) there is
  // nothing to sync, and a bring-up of thousands skips a look at every instance per turn.
  let probeSyncPending = false;
  let probing = false;
  const syncProbes = (): void => {
    if (probeSyncPending || (!probing && !hasProbes(controller.desired().objects))) return;
    probeSyncPending = true;
    clock.after(0, () => {
      probeSyncPending = false;
      const targets = probeTargets(controller.desired(), executor.snapshot(), controller.history());
      probing = targets.some((t) => Object.keys(t.spec.probes).length > 0);
      prober.sync(targets);
    });
  };
  executor.subscribe(syncProbes);
  const printed = new Set<string>();
  const fitYoungGeneration = createYoungGenerationFit();
  let stateSize = 0;
  const cache: ManifestCache = new Map();
  let report: LoadReport = { diagnostics: [] };
  let loads = 0;
  let watcher: Pick<ManifestWatcher, 'track' | 'changes'> | undefined;
  // The watcher's count of changes when the last finished load began (undefined: it vouches for nothing).
  let loadedAt: number | undefined;
  const loadOnce = async (): Promise<LoadVerdict> => {
    const changesBefore = watcher?.changes();
    const running = new Map([...controller.desired().objects].map(([key, object]) => [key, object.source.file]));
    const onListed = (files: number): void => fitYoungGeneration(Math.max(files, stateSize));
    const loaded = await loadManifestDir(ctx, { cache, incumbents: running, yieldTurn: alwaysAwaitable(yieldTurn), onListed });
    report = loaded.ok ? { diagnostics: loaded.diagnostics } : { diagnostics: [], dirError: loaded.message };
    // A folder watched for the first time counts as a change: a file written there before its watch existed.
    // A directory that could not be read is read again: a fix of its mode is no watched change.
    if (loaded.ok) watcher?.track(loaded.watched);
    loadedAt = loaded.ok ? changesBefore : undefined;
    if (!loaded.ok) {
      reportOnce(printed, events, loaded.code, loaded.message);
      return 'unreadable';
    }
    const current = new Set(loaded.diagnostics.map(formatDiagnostic));
    for (const d of loaded.diagnostics) reportOnce(printed, events, d.code, formatDiagnostic(d), d.severity);
    for (const line of printed) if (!current.has(line)) printed.delete(line);
    const [revision, first] = [controller.desired().revision, loads++ === 0];
    const changed = controller.applyLoad(loaded.files, loaded.revision);
    // A load that changed no object nor the revision (every `diff` and `reconcile` reloads) leaves
    // every kept status as it was: nothing to fill. The first load fills whatever it found.
    if (changed.length > 0 || revision !== loaded.revision || first) keeper.fill();
    sampler.configure(monitorIntervalOf(controller.desired()));
    stateSize = stateSizeOf(controller.desired());
    fitYoungGeneration(stateSize);
    return loaded.diagnostics.some((d) => d.severity === 'error') ? 'invalid' : 'ok';
  };
  // A load lets other work run while it validates, so loads go one at a time (a later one must
  // not be overtaken by an earlier); calls while one runs share one more load after it.
  let loading: Promise<LoadVerdict> | undefined;
  let queued: Promise<LoadVerdict> | undefined;
  const reload = (): Promise<LoadVerdict> => {
    if (queued) return queued;
    if (!loading) return (loading = loadOnce().finally(() => (loading = undefined)));
    const again = (): Promise<LoadVerdict> => {
      queued = undefined;
      return reload();
    };
    queued = loading.then(again, again);
    return queued;
  };
  const current = async (): Promise<void> => {
    // Changes the kernel told of before this call are taken in first (one turn of the event loop
    // reads every watch event that was pending when the call's own bytes were read).
    await new Promise<void>((resolve) => setImmediate(resolve));
    const pending = queued ?? loading;
    if (pending) await pending;
    const changes = watcher?.changes();
    if (changes === undefined || changes !== loadedAt || queued || loading) await reload();
  };
  const passListeners = new Set<(plans: readonly KeyPlan[]) => void>();
  const controller: Controller = createController({
    executor,
    clock,
    events,
    history: new Map(persisted?.history ?? []),
    book: bookFromObjects(persisted?.objects ?? []),
    revision: persisted?.revision ?? '',
    pruneGraceMs: PRUNE_GRACE_MS,
    requestReload: () => void reload(),
    onChange: () => {
      saver.schedule();
      syncProbes();
    },
    persistNow: () => saver.flush(),
    health: prober,
    limits: guard,
    usage: (i) => sampler.usage(i.object, i.id, i.pid),
    machine: { cpu: availableParallelism(), memory: totalmem() },
    held: pass.held ?? false,
    yieldTurn,
    drainTurn: backgroundTurn,
    onPass: (plans) => {
      pass.onPass?.(plans);
      for (const listener of passListeners) listener(plans);
    },
    onError: (key, error) => process.stderr.write(`tend: reconcile of ${key} failed: ${(error as Error).stack ?? String(error)}\n`),
  });
  const statusSource = async (): Promise<StatusSource> => ({
    desired: controller.desired(),
    observed: await executor.observe(),
    history: controller.history(),
    now: clock.now(),
    health: prober.health(),
    usage: (i) => sampler.usage(i.object, i.id, i.pid),
    alerts: guard.alerts(),
    pools: (key) => controller.pools.stats(key),
    scheduling: (await controller.scheduling()).stats,
  });
  // A status shows the plan of the moment it observed: one observation for both.
  const statusInput = async (keys: readonly ObjectKey[]): Promise<StatusInput> => {
    const source = await statusSource();
    return { ...source, plan: await controller.plan(keys, source) };
  };
  const keeper = createStatusKeeper({
    source: statusSource,
    plan: (keys, source, oneTurn) => controller.plan(keys, source, oneTurn ? NEVER_YIELD : undefined),
    yieldTurn,
    fillTurn: backgroundTurn,
    now: () => clock.now(),
    inputs: () => [controller.desired().objects, controller.history(), executor.snapshot()],
    // Serialised as it is made, so the first `get -o json` after a load has nothing left to do.
    made: (item) => void jsonOf(item),
    onError: (error) => process.stderr.write(`tend: status build failed: ${(error as Error).stack ?? String(error)}\n`),
  });
  return {
    ok: true,
    runtime: {
      controller,
      executor,
      events,
      clock,
      sampler,
      usageHistory,
      reload,
      current,
      watchWith: (w) => (watcher = w),
      lastLoad: () => report,
      loads: () => loads,
      probeTiming: () => prober.timing(),
      status: async (keys) => (keys ? buildStatus(await statusInput(keys), keys) : keeper.views()),
      list: () => keeper.viewsNow(),
      foreground: (work) => priority.foreground(work),
      summaries: () => keeper.summariesNow(),
      statusCounts: () => keeper.counts(),
      alerts: () => guard.alerts(),
      onPass(listener) {
        passListeners.add(listener);
        return () => passListeners.delete(listener);
      },
      save: () => void writeStateFile(ctx.stateDir, persistedOf(liveOf(controller, executor))),
      async close() {
        controller.close();
        prober.close();
        sampler.close();
        await saver.flush();
        await saver.close();
        await executor.close();
        await events.close();
        lock.release();
      },
    },
  };
}

// The instances that may run, as one array while the executor's snapshot stays the same.
function liveInstances(executor: Executor): () => readonly ObservedInstance[] {
  let from: readonly ObservedInstance[] | undefined;
  let live: readonly ObservedInstance[] = [];
  return () => {
    const all = executor.snapshot();
    if (all !== from) [from, live] = [all, all.filter((i) => i.state !== 'exited')];
    return live;
  };
}

/**
 * Opens the state dir for a one-off command (no `tend up` answers on it); undefined, said on
 * stderr, when another process holds it.
 */
export async function openForCommand(ctx: CliContext, pass: Pick<ControllerOptions, 'held'> = {}): Promise<Runtime | undefined> {
  const opened = await openRuntime(ctx, systemClock, pass);
  if (opened.ok) return opened.runtime;
  process.stderr.write(`tend: state dir ${ctx.stateDir} is held by pid ${opened.holderPid}, which does not answer\n`);
  return undefined;
}

// What the sampler's schedule needs of an idle instance: its revision's limits and alert
// threshold, an open alert, CPU autoscaling. Undefined when no object (nor any revision an
// instance still runs) has limits or autoscaling: then every idle instance is simply quiet. The
// same function while the objects and history stay the same, so the sampler's quiet ticks can
// tell that nothing changed (alerts change with samples, which it watches itself).
function watchesOf(objects: () => ReadonlyMap<ObjectKey, ManifestObject>, history: () => History, guard: ResourceGuard, policyOf: ResourceGuardOptions['policyOf']): () => WatchOf | undefined {
  let last: { readonly autoscaled: ReadonlySet<ObjectKey>; readonly limited: ReadonlySet<ObjectKey>; readonly watchOf: WatchOf | undefined } | undefined;
  return () => {
    const { autoscaled, limited } = watchedKeys(objects(), history());
    if (last?.autoscaled !== autoscaled || last.limited !== limited) last = { autoscaled, limited, watchOf: watchOfKeys(autoscaled, limited, guard, policyOf) };
    return last.watchOf;
  };
}

function watchOfKeys(autoscaled: ReadonlySet<ObjectKey>, limited: ReadonlySet<ObjectKey>, guard: ResourceGuard, policyOf: ResourceGuardOptions['policyOf']): WatchOf | undefined {
  if (autoscaled.size === 0 && limited.size === 0) return undefined;
  return (key, specHash, id) => {
    const policy = limited.has(key) ? policyOf(key, specHash) : undefined;
    const isAutoscaled = autoscaled.has(key);
    const alerting = policy !== undefined && guard.alerting(key, id);
    if (policy === undefined && !isAutoscaled) return undefined;
    return policy === undefined ? { autoscaled: true } : { limits: policy.limits, warnAt: policy.warnAt, alerting, autoscaled: isAutoscaled };
  };
}

// Objects with CPU autoscaling, and objects with limits in their current spec or in a revision
// the history keeps. Worked out once per desired state and history, not per instance and tick; a
// new history (every start and exit makes one) costs a lookup per entry, not a look at each of its
// revisions, and no set is built while no kept revision has limits.
let watchedMemo: { readonly objects: unknown; readonly history: unknown; readonly autoscaled: ReadonlySet<ObjectKey>; readonly limited: ReadonlySet<ObjectKey> } | undefined;
let specMemo: { readonly objects: unknown; readonly autoscaled: ReadonlySet<ObjectKey>; readonly limited: ReadonlySet<ObjectKey> } | undefined;
const limitedRevisions = new WeakMap<ObjectHistory, boolean>();
function watchedKeys(objects: ReadonlyMap<ObjectKey, ManifestObject>, history: History): { autoscaled: ReadonlySet<ObjectKey>; limited: ReadonlySet<ObjectKey> } {
  if (watchedMemo?.objects === objects && watchedMemo.history === history) return watchedMemo;
  const spec = specWatched(objects);
  let more: Set<ObjectKey> | undefined;
  history.forEach((entry, key) => {
    if (!spec.limited.has(key) && hasLimitedRevision(entry)) (more ??= new Set(spec.limited)).add(key);
  });
  watchedMemo = { objects, history, autoscaled: spec.autoscaled, limited: more ?? spec.limited };
  return watchedMemo;
}

function specWatched(objects: ReadonlyMap<ObjectKey, ManifestObject>): { autoscaled: ReadonlySet<ObjectKey>; limited: ReadonlySet<ObjectKey> } {
  if (specMemo?.objects === objects) return specMemo;
  const autoscaled = new Set<ObjectKey>();
  const limited = new Set<ObjectKey>();
  for (const [key, object] of objects) {
    if (isProcessObject(object) && object.pool?.autoscale !== undefined) autoscaled.add(key);
    if (isProcessObject(object) && object.spec.resources !== undefined) limited.add(key);
  }
  specMemo = { objects, autoscaled, limited };
  return specMemo;
}

function hasLimitedRevision(entry: ObjectHistory): boolean {
  if (entry.revisions === undefined) return false;
  let limited = limitedRevisions.get(entry);
  if (limited === undefined) limitedRevisions.set(entry, (limited = Object.values(entry.revisions).some((spec) => spec.resources !== undefined)));
  return limited;
}

// Whether any desired Process has a probe; worked out once per desired state.
let probesMemo: { readonly objects: ReadonlyMap<ObjectKey, ManifestObject>; readonly any: boolean } | undefined;
function hasProbes(objects: ReadonlyMap<ObjectKey, ManifestObject>): boolean {
  if (probesMemo?.objects === objects) return probesMemo.any;
  let any = false;
  for (const object of objects.values()) if (isProcessObject(object) && Object.keys(object.spec.probes).length > 0) any = true;
  probesMemo = { objects, any };
  return any;
}

// A problem is told once (stderr and a Warning event) until it goes away and comes back.
function reportOnce(printed: Set<string>, events: EventLog, reason: string, line: string, severity: 'error' | 'warning' = 'error'): void {
  if (printed.has(line)) return;
  printed.add(line);
  process.stderr.write(`${line}\n`);
  events.record({ object: 'manifests', type: severity === 'error' ? 'Warning' : 'Normal', reason, message: line });
}

function readPersisted(stateDir: string, clock: Clock, events: EventLog): PersistedState | undefined {
  const read = readStateFile(stateDir, isPersistedState, clock.now(), replayRecords);
  if (read.kind === 'ok') return read.state;
  if (read.kind === 'corrupt') {
    const message = `state file was corrupt (${read.error}); set aside as ${read.movedTo}, rebuilding from running processes`;
    process.stderr.write(`tend: ${message}\n`);
    events.record({ object: 'controller', type: 'Warning', reason: 'StateCorrupt', message });
  }
  return undefined;
}

function isPersistedState(value: unknown): value is PersistedState {
  const v = value as Partial<PersistedState> | null;
  return typeof v === 'object' && v !== null && v.version === 1 && Array.isArray(v.instances) && Array.isArray(v.history) && Array.isArray(v.objects);
}

// Records from another boot name pids of a machine that no longer runs them.
async function adoptRecorded(executor: Executor, persisted: PersistedState | undefined, events: EventLog): Promise<void> {
  const sameBoot = persisted?.bootId === readBootId();
  const report = await executor.adopt(sameBoot ? (persisted?.instances ?? []) : []);
  for (const i of [...report.adopted, ...report.found]) {
    events.record({ object: i.object, instance: i.id, type: 'Normal', reason: 'Adopted', message: `${i.id} (pid ${i.pid}) adopted` });
  }
  for (const h of report.cutHooks ?? []) {
    events.record({ object: h.object, instance: h.instance, type: 'Warning', reason: 'HookAbandoned', message: `${h.hook} hook of ${h.instance} (pid ${h.pid}) was left running by a controller that is gone; killed, so it never runs twice at once` });
  }
  // A lost instance is told by the first pass, as every end is: once, with what is known of it.
}

function liveOf(controller: Controller, executor: Executor): LiveState {
  return {
    bootId: readBootId(),
    revision: controller.desired().revision,
    instances: executor.snapshot(),
    history: controller.history(),
    objects: [...controller.book().values()].flatMap((entry) => entry.objects),
  };
}

// Secret values stay in memory; an object read back from the file runs again once its file is valid.
function persistedOf(live: LiveState): PersistedState {
  return { version: 1, bootId: live.bootId, revision: live.revision, instances: live.instances, history: [...live.history], objects: withholdSecretsOfEach(live.objects) };
}

// A journal record holds no more secrets than the state file.
function secretsWithheld(record: StateRecord | undefined): StateRecord | undefined {
  if (!record?.objects) return record;
  const objects = Object.fromEntries(Object.entries(record.objects).map(([key, list]) => [key, list && withholdSecretsOfEach(list)]));
  return { ...record, objects };
}

let bootId: string | undefined;
function readBootId(): string {
  bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return bootId;
}

/**
 * Waits until the controller is idle, no instance is still starting or stopping and no lifecycle
 * hook runs, so a one-off pass does not exit before its stops (grace period, SIGKILL), its hooks
 * and the starts that follow them are done.
 */
export async function settle(rt: Runtime): Promise<void> {
  for (;;) {
    await rt.controller.idle();
    const busy = [...(await rt.executor.observe()).values()].flat().some((i) => i.state === 'stopping' || i.state === 'starting' || i.hook !== undefined);
    if (!busy) return;
    await new Promise<void>((resolve) => {
      const unsubscribe = rt.executor.subscribe(() => {
        unsubscribe();
        resolve();
      });
    });
  }
}
