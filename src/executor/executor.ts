/**
 * The executor contract: how the controller observes and changes the world. The local executor
 * runs OS processes; a Kubernetes executor can implement the same interface. Implementations
 * live in their own folders; the core imports only this file.
 */
import type { Action, ActionResult, StandingOrder } from '../model/action.ts';
import type { ObjectKey } from '../model/object.ts';
import type { Observed, ObservedInstance } from '../model/instance.ts';

/** What adoption found: instances taken over, and records whose process was gone or reused. */
export interface AdoptReport {
  readonly adopted: readonly ObservedInstance[];
  /** Records whose pid was gone or belonged to another process (start time differs). */
  readonly lost: readonly ObservedInstance[];
  /** Instances no record named (found by their run files, or by their marker without the spawn helper), now adopted too. */
  readonly found: readonly ObservedInstance[];
  /**
   * Instances that ended while no controller ran, as `exited` with their real exit code, signal
   * and time (the local executor learns them from the exit files of their shims).
   */
  readonly ended?: readonly ObservedInstance[];
  /**
   * Lifecycle hooks an earlier controller left running, now killed: nobody would act on their
   * outcome, and a preStart would otherwise run twice at once when its instance starts again.
   */
  readonly cutHooks?: readonly { readonly object: ObjectKey; readonly instance: string; readonly hook: string; readonly pid: number }[];
}

export interface Executor {
  /** Current instances per object. Local: resolves at once, from memory. */
  observe(): Promise<Observed>;
  /** Carries out one action. OS failures come back as `ok: false`, never as a throw. */
  apply(action: Action): Promise<ActionResult>;
  /**
   * Called with an object key whenever one of its instances changes state on its own (exit); with
   * the instance's new record too where the executor knows which one changed.
   */
  subscribe(listener: (object: ObjectKey, instance?: ObservedInstance) => void): () => void;
  /**
   * Takes over instances recorded by an earlier controller (pid and start time must both match),
   * plus any process carrying this state dir's marker that no record names.
   */
  adopt(records: readonly ObservedInstance[]): Promise<AdoptReport>;
  /** Every instance, for the state file. */
  snapshot(): readonly ObservedInstance[];
  /** Releases timers and watchers; leaves processes running. */
  close(): Promise<void>;
  /**
   * Standing restart orders of `object`'s running instances, in place of those armed before (an
   * empty list disarms them all). An executor that can restart a program where it ran (the local
   * one, through the program's shim) does so the moment it ends as an order says, and tells the
   * controller the end with the replacement; the next `start` the plan makes for it is answered
   * with that replacement instead of a new spawn. Optional: without it every restart goes
   * through a plan.
   */
  arm?(object: ObjectKey, orders: readonly StandingOrder[]): void;
  /**
   * After a pass: every replacement an order started whose end the pass observed but whose start
   * it did not plan is stopped (the plan changed its mind; nothing runs that the plan did not ask for).
   */
  settle?(): void;
  /** Disarms every order (controller shutdown); a replacement that still comes is stopped. */
  disarm?(): void;
}
