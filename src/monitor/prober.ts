/**
 * The prober: runs the due startup, liveness and readiness probes of running instances and keeps
 * their results as observations (`HealthSource`) for the planner. It decides nothing: a failing
 * liveness probe is only reported; the planner stops the instance.
 *
 * One timer, armed for the earliest due probe; every check is asynchronous and cut at its
 * timeout, and at most `maxInFlight` run at once (the rest wait their turn), so many instances'
 * probes never starve the loop. A finished check looks only at its own instance's probes (all of
 * them only while some probe waits for a free turn), and results go into the health maps handed
 * out only when they are asked for, so the cost per check does not grow with the instances. A change of an instance's started, ready or liveness state, or a
 * probe's success turning to failure or back, notifies subscribers with the object's key.
 */
import { setMaxListeners } from 'node:events';
import type { EventSink } from '../model/event.ts';
import type { Health, HealthSource, InstanceHealth, ObjectHealth, ProbeCheck, ProbeKind, ProbeTiming } from '../model/health.ts';
import type { History } from '../model/history.ts';
import type { ObservedInstance } from '../model/instance.ts';
import { isProcessObject, type DesiredState, type ObjectKey, type ProcessSpec } from '../model/object.ts';
import type { Cancel, Clock } from '../platform/clock.ts';
import { probeExec } from './exec-probe.ts';
import { probeHttp, type TlsTrust } from './http-probe.ts';
import type { ProbeOutcome } from './probe-outcome.ts';
import { activeKinds, healthOfBook, markLaunched, newProbeBook, recordOutcome, type ProbeBook } from './probe-state.ts';
import { probeTcp } from './tcp-probe.ts';

/** A running instance to probe, with the spec of its object. */
export interface ProbeTarget {
  readonly object: ObjectKey;
  readonly instance: string;
  readonly replica: number;
  readonly pid: number;
  readonly startedAt: number;
  readonly spec: ProcessSpec;
  /** `spec` is what the instance runs (false: the instance runs an older revision of the object). */
  readonly current: boolean;
}

/** Runs one check for a target, cut when `signal` aborts; never rejects. */
export type ProbeRunner = (check: ProbeCheck, target: ProbeTarget, timeoutMs: number, signal: AbortSignal) => Promise<ProbeOutcome>;

export interface ProberOptions {
  readonly clock: Clock;
  /** Where `Unhealthy`, `Ready` and `NotReady` events go. */
  readonly events?: EventSink;
  /** The checks; defaults to the real exec, http and tcp probes. */
  readonly run?: ProbeRunner;
  /** Checks running at once; default 64. */
  readonly maxInFlight?: number;
  /** The roots https probes trust; default Node's own. */
  readonly tlsTrust?: TlsTrust;
}

/** Launches the delay statistics look back over. */
const DELAY_WINDOW = 4096;

export interface Prober extends HealthSource {
  /** Scheduled-vs-actual start of the recent probes. */
  timing(): ProbeTiming;
  /** The instances that run now; probes of instances not named stop, new ones start. */
  sync(targets: readonly ProbeTarget[]): void;
  /** Stops scheduling and cuts the checks under way (an exec check's processes are killed). */
  close(): void;
}

interface Entry {
  target: ProbeTarget;
  book: ProbeBook;
}

/** The real checks. */
export function realProbeRunner(clock: Clock, trust?: TlsTrust): ProbeRunner {
  return (check, target, timeoutMs, signal) => {
    if (check.type === 'exec') return probeExec(clock, check.command, target, timeoutMs, signal);
    if (check.type === 'http') return probeHttp(clock, check.url, check.headers, timeoutMs, trust);
    return probeTcp(clock, check.host, check.port, timeoutMs);
  };
}

/**
 * Creates a prober; it is idle until {@link Prober.sync} names instances with probes.
 * @example
 * const prober = createProber({ clock: systemClock, events });
 * prober.subscribe((key) => queue.add(key));
 * prober.sync(runningTargets());
 */
export function createProber(options: ProberOptions): Prober {
  return new ProberImpl(options);
}

const entryKey = (object: ObjectKey, instance: string): string => `${object}\0${instance}`;

class ProberImpl implements Prober {
  readonly #clock: Clock;
  readonly #run: ProbeRunner;
  readonly #events: EventSink | undefined;
  readonly #maxInFlight: number;
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<(object: ObjectKey) => void>();
  /** The latest observations per object, updated in place. */
  readonly #live = new Map<ObjectKey, Map<string, InstanceHealth>>();
  /** What `health()` handed out last, and the objects changed since. */
  #health: Map<ObjectKey, ObjectHealth> = new Map();
  readonly #dirty = new Set<ObjectKey>();
  /** A due probe waited for a free turn: the next finished check looks at every instance. */
  #held = false;
  #inFlight = 0;
  readonly #delays = new Float64Array(DELAY_WINDOW);
  #launched = 0;
  #timer: { at: number; cancel: Cancel } | undefined;
  #closed = false;
  readonly #abort = new AbortController();

  constructor(options: ProberOptions) {
    this.#clock = options.clock;
    this.#run = options.run ?? realProbeRunner(options.clock, options.tlsTrust);
    this.#events = options.events;
    this.#maxInFlight = options.maxInFlight ?? 64;
    // Every check under way listens for the close; up to maxInFlight at once is expected.
    setMaxListeners(this.#maxInFlight + 1, this.#abort.signal);
  }

  health(): Health {
    if (this.#dirty.size === 0) return this.#health;
    const next = new Map(this.#health);
    for (const object of this.#dirty) {
      const instances = this.#live.get(object);
      if (instances === undefined || instances.size === 0) next.delete(object);
      else next.set(object, new Map(instances));
    }
    this.#dirty.clear();
    this.#health = next;
    return next;
  }

  timing(): ProbeTiming {
    const delays = this.#delays.slice(0, Math.min(this.#launched, DELAY_WINDOW)).sort();
    const at = (p: number): number => delays[Math.min(delays.length - 1, Math.floor((delays.length * p) / 100))] ?? 0;
    return { launched: this.#launched, p50Ms: at(50), p99Ms: at(99), maxMs: delays.at(-1) ?? 0 };
  }

  subscribe(listener: (object: ObjectKey) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  sync(targets: readonly ProbeTarget[]): void {
    const seen = new Set<string>();
    const touched = new Set<ObjectKey>();
    for (const target of targets) {
      if (!hasProbes(target.spec)) continue;
      const key = entryKey(target.object, target.instance);
      seen.add(key);
      const entry = this.#entries.get(key);
      // An instance of an older revision keeps the probes it was started with.
      if (entry && entry.book.pid === target.pid && entry.book.startedAt === target.startedAt) entry.target = target.current ? target : entry.target;
      else {
        this.#entries.set(key, { target, book: newProbeBook(target.spec.probes, target.pid, target.startedAt, this.#clock.now()) });
        touched.add(target.object);
      }
    }
    for (const [key, entry] of this.#entries) {
      if (seen.has(key)) continue;
      this.#entries.delete(key);
      touched.add(entry.target.object);
    }
    for (const object of touched) this.#publish(object);
    this.#tick();
  }

  close(): void {
    this.#closed = true;
    this.#abort.abort();
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  // Launches every due probe (within the in-flight limit), then arms the timer for the next.
  #tick(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    let earliest = Infinity;
    this.#held = false;
    for (const entry of this.#entries.values()) earliest = Math.min(earliest, this.#launchDue(entry, now));
    this.#arm(earliest);
  }

  // Launches the entry's due probes; returns when its next one is due (Infinity: none waits).
  #launchDue(entry: Entry, now: number): number {
    let earliest = Infinity;
    for (const kind of activeKinds(entry.book, entry.target.spec.probes)) {
      const slot = entry.book.slots[kind];
      if (slot === undefined || slot.inFlight) continue;
      if (slot.nextAt <= now && this.#inFlight < this.#maxInFlight) this.#launch(entry, kind, now);
      else {
        if (slot.nextAt <= now) this.#held = true;
        earliest = Math.min(earliest, Math.max(slot.nextAt, now + 1));
      }
    }
    return earliest;
  }

  // After a check: only its own instance can have become due, unless some probe waits its turn.
  #afterCheck(entry: Entry): void {
    if (this.#closed) return;
    if (this.#held || !this.#entries.has(entryKey(entry.target.object, entry.target.instance))) {
      this.#tick();
      return;
    }
    const next = this.#launchDue(entry, this.#clock.now());
    if (next < (this.#timer?.at ?? Infinity)) this.#arm(next);
  }

  #arm(at: number): void {
    if (this.#timer?.at === at) return;
    this.#timer?.cancel();
    this.#timer = at === Infinity ? undefined : { at, cancel: this.#clock.after(at - this.#clock.now(), () => this.#onTimer(), false) };
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#tick();
  }

  #launch(entry: Entry, kind: ProbeKind, now: number): void {
    const spec = entry.target.spec.probes[kind];
    if (spec === undefined) return;
    this.#delays[this.#launched++ % DELAY_WINDOW] = now - (entry.book.slots[kind]?.nextAt ?? now);
    entry.book = markLaunched(entry.book, entry.target.spec.probes, kind, now);
    this.#inFlight++;
    const book = entry.book;
    void this.#run(spec.check, entry.target, spec.timeoutMs, this.#abort.signal)
      .catch((error: unknown) => ({ ok: false, message: (error as Error).message }))
      .then((outcome) => {
        this.#inFlight--;
        this.#record(entry, book, kind, outcome);
        this.#afterCheck(entry);
      });
  }

  // Ignores results for an instance that has since been replaced or is no longer probed.
  #record(entry: Entry, launchedWith: ProbeBook, kind: ProbeKind, outcome: ProbeOutcome): void {
    const key = entryKey(entry.target.object, entry.target.instance);
    if (this.#closed || this.#entries.get(key) !== entry || entry.book.pid !== launchedWith.pid) return;
    const probes = entry.target.spec.probes;
    const before = healthOfBook(entry.book, probes);
    entry.book = recordOutcome(entry.book, probes, kind, outcome, this.#clock.now());
    const after = healthOfBook(entry.book, probes);
    this.#report(entry.target, kind, before, after);
    this.#storeOne(entry.target, after);
    if (changed(before, after, kind)) this.#notify(entry.target.object);
  }

  #report(target: ProbeTarget, kind: ProbeKind, before: InstanceHealth, after: InstanceHealth): void {
    const result = after.probes[kind];
    const threshold = target.spec.probes[kind]?.failureThreshold ?? 1;
    const base = { object: target.object, instance: target.instance };
    if (result && !result.ok && result.failures <= threshold) {
      this.#events?.record({ ...base, type: 'Warning', reason: 'Unhealthy', message: `${target.instance} ${kind} probe failed (${result.failures}/${threshold}): ${result.message}` });
    }
    if (!before.ready && after.ready) this.#events?.record({ ...base, type: 'Normal', reason: 'Ready', message: `${target.instance} is ready` });
    if (before.ready && !after.ready) this.#events?.record({ ...base, type: 'Warning', reason: 'NotReady', message: `${target.instance} is not ready: ${result?.message ?? ''}` });
  }

  // Rebuilds the object's health map; subscribers are told.
  #publish(object: ObjectKey): void {
    this.#store(object);
    this.#notify(object);
  }

  #notify(object: ObjectKey): void {
    for (const listener of this.#listeners) listener(object);
  }

  // Replaces one instance's observation; the maps handed out before stay as they were.
  #storeOne(target: ProbeTarget, health: InstanceHealth): void {
    const instances = this.#live.get(target.object) ?? new Map<string, InstanceHealth>();
    instances.set(target.instance, health);
    this.#live.set(target.object, instances);
    this.#dirty.add(target.object);
  }

  #store(object: ObjectKey): void {
    const instances = new Map<string, InstanceHealth>();
    for (const entry of this.#entries.values()) {
      if (entry.target.object === object) instances.set(entry.target.instance, healthOfBook(entry.book, entry.target.spec.probes));
    }
    if (instances.size === 0) this.#live.delete(object);
    else this.#live.set(object, instances);
    this.#dirty.add(object);
  }
}

// What the planner or the ready count could act on, or a probe turning from success to failure or back.
function changed(before: InstanceHealth, after: InstanceHealth, kind: ProbeKind): boolean {
  if (before.started !== after.started || before.ready !== after.ready || before.livenessFailed !== after.livenessFailed) return true;
  return before.probes[kind]?.ok !== after.probes[kind]?.ok;
}

/**
 * The running instances of desired Process objects that have probes, as prober targets. An
 * instance of an earlier revision is probed as that revision says (`history` keeps it), never
 * with probes it was not started with.
 */
export function probeTargets(desired: DesiredState, instances: readonly ObservedInstance[], history: History = new Map()): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  for (const i of instances) {
    const object = desired.objects.get(i.object);
    if (i.state !== 'running' || i.fallback || object === undefined || !isProcessObject(object)) continue;
    const { id: instance, replica, pid, startedAt } = i;
    const current = i.specHash === object.specHash;
    const spec = current ? object.spec : history.get(i.object)?.revisions?.[i.specHash];
    // An instance without probes is no target (sync would skip it): a sync after each exit then
    // builds nothing for the programs that are not probed.
    if (spec !== undefined && hasProbes(spec)) targets.push({ object: i.object, instance, replica, pid, startedAt, spec, current });
  }
  return targets;
}

function hasProbes(spec: ProbeTarget['spec']): boolean {
  for (const _ in spec.probes) return true;
  return false;
}
