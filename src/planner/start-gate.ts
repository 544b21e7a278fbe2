/**
 * The scheduler's say over a Process with `resources.requests`: a start it does not admit
 * becomes a wait (`Unschedulable`, or `Preempting`), and a preempted instance is stopped (reason
 * `Preempted`) to run again when it fits.
 *
 * Must not: schedule (the verdicts come in through `admission`), read the clock, do I/O.
 */
import type { Action } from '../model/action.ts';
import type { ObservedInstance } from '../model/instance.ts';
import { revisionStop, type StopSource } from './actions.ts';
import type { Admission } from './admission.ts';

/** `actions` of `object` with the scheduler's verdicts applied. */
export function gateProcessStarts(actions: readonly Action[], source: StopSource, instances: readonly ObservedInstance[], admission: Admission): Action[] {
  const gated = actions.map((action): Action => {
    if (action.type !== 'start' || action.fallback) return action;
    const verdict = admission(action.object, action.instance);
    if (verdict.kind === 'wait') return { type: 'wait', object: action.object, instance: action.instance, reason: 'Unschedulable', message: `${action.instance} waits: ${verdict.reason} (queue position ${verdict.position + 1})`, until: verdict.until ?? Infinity, shortfall: verdict.reason, queuePosition: verdict.position + 1 };
    if (verdict.kind === 'preempting') return { type: 'wait', object: action.object, instance: action.instance, reason: 'Preempting', message: `${action.instance} starts once ${verdict.victims.join(', ')} gave way`, until: Infinity };
    return action;
  });
  for (const instance of instances) {
    if (instance.state !== 'running' || actions.some((a) => a.instance === instance.id)) continue;
    const verdict = admission(source.key, instance.id);
    if (verdict.kind === 'preempt') gated.push({ ...revisionStop(source, instance, 'Preempted', false), message: `${instance.id} preempted by ${verdict.by}; stopping to run again later` });
  }
  return gated;
}
