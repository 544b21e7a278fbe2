/**
 * Recovery strategies (`spec.recovery.strategy`): what takes a failed instance's place.
 *
 * - `restart` (default): the new instance reuses the slot and its instance id (`web-0`).
 * - `replace`: a start after an exit gets a fresh id in the same slot (`web-0` → `web-0.1` →
 *   `web-0.2`), derived from the exited instance's id, so it is stable across controller restarts
 *   and adoption (the id is in the state file and in the process's `TEND_INSTANCE`). Log files
 *   are per id, so the failed instance's logs stay readable (`tend logs web-0.1`), and its
 *   failure record keeps its own id (marked recovered by the replacement, see `replaces`).
 * - `fallback`: while the circuit is open, the `recovery.fallback` program runs in the slot of
 *   each instance that is down, as instance `<base id>.fallback` (one per slot, `fallback: true`).
 *
 * Fallback timeline of one slot:
 *
 *     circuit Open, primary down ──start (CircuitFallback)──> fallback running
 *     a primary start is planned (the half-open trial once its backoff is due, a closed
 *     circuit, a spec change, tend restart)
 *         ──> that start is held; the fallback stops (FallbackDone, forgotten on exit)
 *     fallback gone ──> the held primary start goes ahead (the trial holds the slot's port alone)
 *     trial fails ──> Open again ──> fallback started again
 *
 * Owns: fallback instances (start, restart after a crash, stop, forget), holding a primary start
 * while its slot's fallback lives, at most one half-open trial start per pass, and replacement ids.
 * Must not: read the clock, do I/O, decide primary restarts (start-decision.ts does).
 */
import type { Action, StartAction } from '../model/action.ts';
import type { ObservedInstance } from '../model/instance.ts';
import type { FallbackProgram, ProcessSpec } from '../model/object.ts';
import type { DesiredObject } from './actions.ts';
import { instanceId, stopAction } from './actions.ts';
import { backoffDelay } from './backoff.ts';
import { circuitState } from './circuit-breaker.ts';
import { isUserStopped } from './override.ts';

const NONE: readonly ObservedInstance[] = Object.freeze([]);

/** The primary instances and the fallback instances of an object; `instances` itself when it has no fallback. */
export function splitFallbacks(instances: readonly ObservedInstance[]): { primaries: readonly ObservedInstance[]; fallbacks: readonly ObservedInstance[] } {
  let any = false;
  for (const instance of instances) any ||= instance.fallback === true;
  if (!any) return { primaries: instances, fallbacks: NONE };
  return { primaries: instances.filter((i) => i.fallback !== true), fallbacks: instances.filter((i) => i.fallback === true) };
}

/** The id of slot `replica`'s fallback instance: `web-0.fallback`. */
export function fallbackId(d: DesiredObject, replica: number): string {
  return `${instanceId(d.object, replica)}.fallback`;
}

/**
 * The id a start in `exited`'s slot gets under strategy `replace`: the next `.N` after the
 * slot's base id (`web-0` → `web-0.1`, `web-0.4` → `web-0.5`).
 */
export function replacementId(base: string, exited: string): string {
  const generation = exited.startsWith(`${base}.`) ? Number(exited.slice(base.length + 1)) : 0;
  return `${base}.${Number.isInteger(generation) && generation >= 0 ? generation + 1 : 1}`;
}

/** `start` as strategy `replace` wants it after `exited`: a fresh id, replacing `exited`; else unchanged. */
export function withReplacement(d: DesiredObject, exited: ObservedInstance, start: StartAction): StartAction {
  if (d.object.spec.recovery?.strategy !== 'replace') return start;
  return { ...start, instance: replacementId(start.instance, exited.id), replaces: exited.id };
}

/**
 * Adds the fallback actions of one object to `actions` (the primary slots' plan), and holds
 * primary starts: a start in a slot whose fallback still lives is taken out (the fallback is
 * stopped first), and only the first half-open trial start of the pass is kept.
 */
export function planFallbacks(actions: Action[], d: DesiredObject, slots: readonly (ObservedInstance | undefined)[], fallbacks: readonly ObservedInstance[]): void {
  if (d.object.spec.circuitBreaker === undefined && fallbacks.length === 0) return;
  const trial = actions.find((a) => isPrimaryStart(a, d) && a.circuitTrial === true);
  if (trial !== undefined) keepActions(actions, (a) => !isPrimaryStart(a, d) || a.circuitTrial !== true || a === trial);
  const starting = new Set(actions.filter((a) => isPrimaryStart(a, d)).map((a) => a.replica));
  const live = new Set(fallbacks.filter((f) => f.state !== 'exited').map((f) => f.replica));
  keepActions(actions, (a) => !isPrimaryStart(a, d) || !live.has(a.replica));
  const program = d.object.spec.recovery?.strategy === 'fallback' ? d.object.spec.recovery.fallback : undefined;
  const covered = new Set<number>();
  for (const fallback of fallbacks) {
    covered.add(fallback.replica);
    const inSlot = fallback.replica < slots.length;
    const wanted = program !== undefined && inSlot && isFallbackWanted(d, fallback.replica, slots[fallback.replica], starting);
    const action = wanted ? keepFallback(d, fallback, program) : dropFallback(d, fallback, inSlot);
    if (action !== undefined) actions.push(action);
  }
  if (program === undefined) return;
  slots.forEach((primary, replica) => {
    if (!covered.has(replica) && isFallbackWanted(d, replica, primary, starting)) actions.push(fallbackStart(d, replica, program));
  });
}

function isPrimaryStart(a: Action, d: DesiredObject): a is StartAction {
  return a.object === d.key && a.type === 'start' && a.fallback !== true;
}

// Removes, in place, the actions `keep` rejects.
function keepActions(actions: Action[], keep: (a: Action) => boolean): void {
  const kept = actions.filter(keep);
  actions.length = 0;
  actions.push(...kept);
}

/**
 * Whether slot `replica`'s fallback should run: not `tend stop`ped, the circuit not Closed (Open,
 * or HalfOpen: until the trial is due, and in the other slots while it runs), and the slot's
 * primary down (missing or exited) with no start planned for it.
 */
function isFallbackWanted(d: DesiredObject, replica: number, primary: ObservedInstance | undefined, starting: ReadonlySet<number>): boolean {
  const policy = d.object.spec.circuitBreaker;
  const record = d.history?.circuit;
  if (policy === undefined || record === undefined || isUserStopped(d.object, d.history)) return false;
  if ((primary !== undefined && primary.state !== 'exited') || starting.has(replica)) return false;
  return circuitState(record, policy, d.now) !== 'Closed';
}

// A fallback that should run: restart it after its own exit (once the backoff's first delay has
// passed), replace it when the fallback program changed.
function keepFallback(d: DesiredObject, fallback: ObservedInstance, program: FallbackProgram): Action | undefined {
  if (fallback.state === 'stopping') return undefined;
  if (fallback.state === 'running') {
    return fallback.specHash === program.hash ? undefined : stopAction(d.key, fallback, d.object.spec.stop, 'SpecChanged', true);
  }
  const exit = fallback.exit;
  const at = exit === undefined || exit.requested ? d.now : exit.at + backoffDelay(d.object.spec.backoff, 0, fallback.id);
  if (d.now < at) return { type: 'wait', object: d.key, instance: fallback.id, reason: 'CrashLoopBackOff', message: `${fallback.id} (fallback) ended; starting it again`, until: at };
  return fallbackStart(d, fallback.replica, program);
}

// A fallback no longer wanted: stop it and forget it once it has exited.
function dropFallback(d: DesiredObject, fallback: ObservedInstance, inSlot: boolean): Action | undefined {
  if (fallback.state === 'stopping') return undefined;
  return stopAction(d.key, fallback, d.object.spec.stop, inSlot ? 'FallbackDone' : 'ScaleDown', true);
}

/** The phase of a fallback instance, as `get` shows it. */
export function fallbackPhase(fallback: ObservedInstance): { readonly phase: string; readonly reason: string } {
  if (fallback.state === 'running') return { phase: 'Running', reason: 'CircuitFallback' };
  if (fallback.state === 'stopping') return { phase: 'Stopping', reason: fallback.stopReason ?? 'FallbackDone' };
  return { phase: fallback.exit?.requested === true ? 'Stopped' : 'BackOff', reason: fallback.exit?.requested === true ? 'FallbackDone' : 'CrashLoopBackOff' };
}

function fallbackStart(d: DesiredObject, replica: number, program: FallbackProgram): StartAction {
  const { hash, ...fields } = program;
  // The primary's lifecycle hooks (migrations, drains) are not the fallback's.
  const { signal, gracePeriodMs } = d.object.spec.stop;
  const spec: ProcessSpec = { ...d.object.spec, ...fields, lifecycle: {}, stop: { signal, gracePeriodMs } };
  const instance = fallbackId(d, replica);
  return {
    type: 'start',
    object: d.key,
    instance,
    reason: 'CircuitFallback',
    message: `the circuit is open: running the fallback program as ${instance}`,
    replica,
    spec,
    specHash: hash,
    generation: d.generation,
    backoffAttempt: 0,
    countsAsRestart: false,
    fallback: true,
  };
}
