/**
 * Resource exhaustion: the stop of a running instance whose limit was breached with `onExceed`
 * restart or kill. The monitor's breach arrives as an observation; this turns it into an action.
 *
 *     running ──breach, onExceed restart──> stop (ResourceExhaustion) ──> exit ──> restart policy, backoff
 *        └──────breach, onExceed kill─────> SIGKILL (ResourceKill) ─────> exit ──> Failed, not restarted
 *
 * Both exits are failures of type `ResourceExhaustion`. A killed instance starts again only when
 * its spec changes or on `tend restart` (start-decision.ts starts those fresh).
 * Must not: judge samples (limits.ts does), read the clock, do I/O.
 */
import type { StopAction } from '../model/action.ts';
import type { ObservedInstance } from '../model/instance.ts';
import type { OnExceed } from '../model/limits.ts';
import type { StopPolicy } from '../model/object.ts';
import type { DesiredObject } from './actions.ts';
import { specOfInstance } from './revision.ts';

/** A limit breach of one process, as the controller hands it to the planner. */
export interface LimitBreach {
  /** The process that breached; none other in the slot is stopped for it. */
  readonly pid: number;
  readonly onExceed: Exclude<OnExceed, 'alert'>;
  /** `memory 312 MiB > limit 256 MiB`. */
  readonly message: string;
}

/** Breaches per instance id of one object. */
export type ObjectBreaches = ReadonlyMap<string, LimitBreach>;

/** Breaches of no instance. */
export const NO_BREACHES: ObjectBreaches = new Map();

/** `kill` ends the program at once: no grace period. */
const KILL: StopPolicy = { signal: 'SIGKILL', gracePeriodMs: 0 };

/** The stop a breach of running `instance` asks for, if any. */
export function exhaustionStop(d: DesiredObject, instance: ObservedInstance): StopAction | undefined {
  const breach = d.breaches?.get(instance.id);
  if (breach === undefined || breach.pid !== instance.pid || instance.state !== 'running') return undefined;
  const kill = breach.onExceed === 'kill';
  const spec = specOfInstance(d.object, d.history, instance);
  return {
    type: 'stop',
    object: d.key,
    instance: instance.id,
    reason: kill ? 'ResourceKill' : 'ResourceExhaustion',
    message: `${breach.message} (onExceed ${breach.onExceed})`,
    stop: kill ? KILL : spec.stop,
    forget: false,
    program: spec,
  };
}
