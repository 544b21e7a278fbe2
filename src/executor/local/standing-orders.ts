/**
 * Standing restart orders of the local executor (see the Executor contract's `arm`): for each
 * armed running instance, `<run>/<token>.order` holds the request of the program that replaces
 * it, which its shim starts the moment the program ends as the order says, without waiting for
 * the controller or the helper. This book writes and removes those files, and keeps the
 * replacements the shims started until the plan claims them (its next `start` for the slot) or a
 * pass that saw the end did not (then they are killed: nothing runs that the plan did not ask for).
 *
 * A disarm removes the file; the shim takes an order by removing it too, so exactly one of them
 * does: an order disarmed before a stop's signal can never fire after it.
 * Must not: decide what to restart (the planner does), or throw.
 */
import { unlinkSync } from 'node:fs';
import type { StandingOrder, StartAction } from '../../model/action.ts';
import type { ObjectKey } from '../../model/object.ts';
import type { Clock } from '../../platform/clock.ts';
import type { TurnYield } from '../../platform/turn-budget.ts';
import { orderPathOf, readRun, writeFileWhole } from './run-dir.ts';
import { encodeStandingOrder, type RunRecord, type ShimExit } from './shim-protocol.ts';
import type { ShimWatch } from './shim-watch.ts';
import { prepareShimRequest, type ShimSpawnContext } from './spawn-shim.ts';
import type { ResolvedProgram, SpawnRequest } from './spawn-instance.ts';

/** The instance an order may be armed for: running under its own shim, in its own cgroup. */
export interface ArmableInstance {
  readonly token: string;
  /** How its own start was resolved (argv, env, user): an order for the same start reuses it. */
  readonly launched?: { readonly request: SpawnRequest; readonly program: ResolvedProgram; readonly release: () => void };
}

/** What a replacement must match to answer a start: its slot and the revision it runs. */
export type FiredStart = Pick<StartAction, 'instance' | 'replica' | 'specHash' | 'generation'>;

/** A replacement a shim started on an order, waiting for the plan's start. */
export interface Fired {
  readonly start: FiredStart;
  readonly token: string;
  readonly run: RunRecord;
  /** When the replaced program ended (ms since the epoch): the replacement started right after. */
  readonly at: number;
}

/** An order waiting for a pause in the starts, for the instance under the shim `token`. */
interface Deferred {
  readonly order: StandingOrder;
  readonly token: string;
}

/**
 * How long starts must have paused before new orders are written: a bring-up writes none while
 * it still starts programs (each order is a file made, and making files is most of what a start
 * costs on a busy file system), and writes them all once it is done. A program killed before its
 * order is written is restarted through the controller, as before any order.
 */
export const ARM_QUIET_MS = 250;

interface Armed {
  /** The armed instance's token (names the order file). */
  readonly token: string;
  /** The replacement's token. */
  readonly next: string;
  readonly identity: string;
  readonly start: StartAction;
  /** The order as planned (written again unchanged when deferred orders of its object are). */
  readonly order: StandingOrder;
}

/** Options of {@link OrderBook}. */
export interface OrderBookOptions {
  readonly runDir: string;
  readonly spawn: Omit<ShimSpawnContext, 'client'>;
  readonly shims: ShimWatch;
  readonly clock: Clock;
  /** This controller (pid and start ticks): a shim fires an order only while it runs. */
  readonly controller: { readonly pid: number; readonly startTicks: number };
  /**
   * Asked after each object's orders are written once starts paused: a bring-up of thousands
   * writes as many files, and the rest waits for a turn of everything else once the budget is spent.
   */
  readonly yieldTurn?: TurnYield;
}

/** The armed orders and fired replacements of one executor. */
export class OrderBook {
  readonly #options: OrderBookOptions;
  /** Armed orders by object, then by the armed instance's id. */
  readonly #armed = new Map<ObjectKey, Map<string, Armed>>();
  /** Fired replacements by object and replacement id, with whether a pass has observed them. */
  readonly #fired = new Map<string, { readonly fired: Fired; seen: boolean }>();
  #down = false;
  /** Orders that wait for a pause in the starts, by object. */
  readonly #deferred = new Map<ObjectKey, { readonly waiting: readonly Deferred[]; readonly armable: (instance: string) => ArmableInstance | undefined }>();
  #lastStart = -Infinity;
  #cancelFlush: (() => void) | undefined;

  constructor(options: OrderBookOptions) {
    this.#options = options;
  }

  /**
   * Arms `orders` for `object`, disarming what was armed before and is not among them.
   * `armable(instance)` says whether (and under which token) the instance can carry one now.
   */
  arm(object: ObjectKey, orders: readonly StandingOrder[], armable: (instance: string) => ArmableInstance | undefined): void {
    this.#deferred.delete(object);
    const before = this.#armed.get(object);
    if (orders.length === 0 && before === undefined) return;
    const after = new Map<string, Armed>();
    const waiting: Deferred[] = [];
    const quiet = this.#quiet();
    for (const order of this.#down ? [] : orders) {
      const target = armable(order.instance);
      if (target === undefined) continue;
      const identity = identityOf(order, target.token);
      const kept = before?.get(order.instance);
      if (kept?.identity !== identity && !quiet) waiting.push({ order, token: target.token });
      const armed = kept?.identity === identity ? kept : quiet ? this.#write(order, target, identity) : undefined;
      if (kept && kept !== armed) this.#remove(kept);
      if (armed) after.set(order.instance, armed);
    }
    if (waiting.length > 0) this.#defer(object, waiting, armable);
    for (const [instance, armed] of before ?? []) if (!after.has(instance)) this.#remove(armed);
    if (after.size > 0) this.#armed.set(object, after);
    else this.#armed.delete(object);
  }

  /** A program was started: new orders wait until starts have paused for ARM_QUIET_MS. */
  started(): void {
    this.#lastStart = this.#options.clock.now();
  }

  /** Disarms the order of one instance (a stop, a forget); true when its shim had taken it already. */
  disarm(object: ObjectKey, instance: string): boolean {
    this.#undefer(object, instance);
    const armed = this.#take(object, instance);
    return armed !== undefined && !this.#remove(armed);
  }

  /** Disarms every order; replacements still to come, and those not claimed yet, are killed. */
  disarmAll(): void {
    this.#down = true;
    this.#deferred.clear();
    this.#cancelFlush?.();
    for (const orders of this.#armed.values()) for (const armed of orders.values()) this.#remove(armed);
    this.#armed.clear();
    for (const { fired } of this.#fired.values()) this.#options.shims.discardReplacement(fired.token, fired.run);
    this.#fired.clear();
  }

  /**
   * The end of an armed instance: when its shim started a replacement (`exit.next`) on the order
   * still armed, that replacement waits for the plan's start; any other is killed. The order is
   * gone either way.
   */
  ended(object: ObjectKey, instance: string, exit: ShimExit): void {
    this.#undefer(object, instance);
    const armed = this.#take(object, instance);
    if (exit.next === undefined) {
      if (armed) this.#remove(armed);
      return;
    }
    const run = readRun(this.#options.runDir, exit.next);
    if (!armed || armed.next !== exit.next || this.#down || run === undefined) {
      this.#options.shims.discardReplacement(exit.next, run);
      return;
    }
    this.#fired.set(firedKey(object, armed.start.instance), { fired: { start: armed.start, token: exit.next, run, at: exit.at }, seen: false });
  }

  /**
   * A replacement an earlier controller's order started, found at adoption beside the end it
   * replaced (that controller died before it recorded the end): it waits for the plan's start
   * as one fired now would, so the restart is recorded (counted, told) as the plan decides, and
   * killed when the plan does not ask for it.
   */
  adoptFired(object: ObjectKey, fired: Fired): void {
    this.#fired.set(firedKey(object, fired.start.instance), { fired, seen: false });
  }

  /** The fired replacement `start` asks for; one in its place that does not match is killed. */
  claim(start: Pick<StartAction, 'object' | 'instance' | 'replica' | 'specHash' | 'generation' | 'fallback'>): Fired | undefined {
    const key = firedKey(start.object, start.instance);
    const entry = this.#fired.get(key);
    if (entry === undefined) return undefined;
    this.#fired.delete(key);
    const { fired } = entry;
    const same = fired.start.replica === start.replica && fired.start.specHash === start.specHash && fired.start.generation === start.generation && start.fallback === undefined;
    if (same) return fired;
    this.#options.shims.discardReplacement(fired.token, fired.run);
    return undefined;
  }

  /** An observation was taken: every fired replacement is in it. */
  observed(): void {
    if (this.#fired.size === 0) return;
    for (const entry of this.#fired.values()) entry.seen = true;
  }

  /** A pass is done: fired replacements it observed and did not claim are killed. */
  settle(): void {
    if (this.#fired.size === 0) return;
    for (const [key, entry] of this.#fired) {
      if (!entry.seen) continue;
      this.#fired.delete(key);
      this.#options.shims.discardReplacement(entry.fired.token, entry.fired.run);
    }
  }

  // Whether starts have paused long enough for new orders to be written now.
  #quiet(): boolean {
    return this.#untilQuiet() <= 0;
  }

  // ms until starts will have paused for ARM_QUIET_MS (0 or less: they have).
  #untilQuiet(): number {
    return this.#lastStart + ARM_QUIET_MS - this.#options.clock.now();
  }

  // Keeps the orders of `object` that wait for a pause in the starts; each is written then only
  // if its instance still runs under the same shim (and no later plan of the object replaced them).
  #defer(object: ObjectKey, waiting: readonly Deferred[], armable: (instance: string) => ArmableInstance | undefined): void {
    this.#deferred.set(object, { waiting, armable });
    if (this.#cancelFlush) return;
    this.#cancelFlush = this.#options.clock.after(Math.max(0, this.#untilQuiet()), () => this.#flush());
  }

  #undefer(object: ObjectKey, instance: string): void {
    const entry = this.#deferred.get(object);
    if (!entry) return;
    const waiting = entry.waiting.filter((d) => d.order.instance !== instance);
    if (waiting.length > 0) this.#deferred.set(object, { ...entry, waiting });
    else this.#deferred.delete(object);
  }

  // Writes the orders that waited, once starts paused; while they go on, waits again. Object by
  // object, giving up the turn when its budget is spent (the rest stays deferred meanwhile).
  #flush(): void {
    this.#cancelFlush = undefined;
    if (this.#down || this.#deferred.size === 0) return;
    if (!this.#quiet()) {
      this.#cancelFlush = this.#options.clock.after(this.#untilQuiet(), () => this.#flush());
      return;
    }
    for (const [object, { waiting, armable }] of this.#deferred) {
      this.#deferred.delete(object);
      const tokens = new Map(waiting.map((d) => [d.order.instance, d.token]));
      const kept = [...(this.#armed.get(object)?.values() ?? [])].map((armed) => armed.order);
      const same = (instance: string): ArmableInstance | undefined => {
        const target = armable(instance);
        return target && (tokens.get(instance) ?? target.token) === target.token ? target : undefined;
      };
      this.arm(object, [...kept, ...waiting.map((d) => d.order)], same);
      const turn = this.#deferred.size > 0 ? this.#options.yieldTurn?.() : undefined;
      if (turn) return this.#flushAfter(turn);
    }
  }

  // Goes on with the flush once `turn` has let everything else run (unless cancelled meanwhile).
  #flushAfter(turn: Promise<void>): void {
    let cancelled = false;
    this.#cancelFlush = () => void (cancelled = true);
    void turn.then(() => {
      if (!cancelled) this.#flush();
    });
  }

  #take(object: ObjectKey, instance: string): Armed | undefined {
    const orders = this.#armed.get(object);
    const armed = orders?.get(instance);
    if (!orders || !armed) return undefined;
    orders.delete(instance);
    if (orders.size === 0) this.#armed.delete(object);
    return armed;
  }

  // Writes the order file, whole or not at all (the shim reads it whole).
  #write(order: StandingOrder, target: ArmableInstance, identity: string): Armed | undefined {
    const { runDir, spawn, shims, controller } = this.#options;
    const { token, launched } = target;
    const next = shims.newToken(order.start.instance);
    const program = launched && sameStart(launched.request, order.start) ? launched.program : undefined;
    const prepared = prepareShimRequest({ ...spawn, runDir }, order.start, next, program);
    launched?.release();
    if (!prepared.ok) return undefined;
    const text = encodeStandingOrder({ request: { ...prepared.request, id: 0 }, on: order.on, controller, inherit: order.start.spec.secretEnv });
    if (!writeFileWhole(orderPathOf(runDir, token), text)) return undefined;
    return { token, next, identity, start: order.start, order };
  }

  // Removes the order file; false when it was gone (its shim took it).
  #remove(armed: Armed): boolean {
    try {
      unlinkSync(orderPathOf(this.#options.runDir, armed.token));
      return true;
    } catch {
      return false;
    }
  }
}

// Whether `start` would be resolved as `launched` was: the same spec, slot and revision.
function sameStart(launched: SpawnRequest, start: StartAction): boolean {
  return launched.spec === start.spec && launched.instance === start.instance && launched.replica === start.replica && launched.specHash === start.specHash && launched.generation === start.generation && launched.fallback === start.fallback && launched.object === start.object;
}

function identityOf(order: StandingOrder, token: string): string {
  const { start } = order;
  return `${token}\0${order.on}\0${start.instance}\0${start.replica}\0${start.specHash}\0${start.generation}`;
}

function firedKey(object: ObjectKey, instance: string): string {
  return `${object}\0${instance}`;
}
