/** The dry-run executor, with the starts of some objects held until `release()`. */
import { createDryRunExecutor } from '../../src/executor/dry-run.ts';
import type { Executor } from '../../src/executor/executor.ts';
import type { Action, ActionResult } from '../../src/model/action.ts';
import { createFakeClock } from './fake-clock.ts';

/** A dry-run executor on a fake clock whose starts of `holding` objects (default: every one) wait for `release()`. */
export function heldStarts(holding: (object: string) => boolean = () => true) {
  const clock = createFakeClock();
  const inner = createDryRunExecutor(undefined, clock);
  const held: { action: Action; go: () => void }[] = [];
  const executor: Executor = {
    ...inner,
    observe: () => inner.observe(),
    subscribe: (listener) => inner.subscribe(listener),
    apply: (action) => {
      if (action.type !== 'start' || !holding(action.object)) return inner.apply(action);
      return new Promise<ActionResult>((resolve) => held.push({ action, go: () => void inner.apply(action).then(resolve) }));
    },
  };
  const release = (): void => {
    for (const { go } of held.splice(0)) go();
  };
  return { clock, inner, executor, held, release };
}
