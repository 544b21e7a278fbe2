/** The control API's answers, computed from a runtime. */
import type { ApiHandlers } from '../api/server.ts';
import { renderMetrics } from '../api/metrics.ts';
import { itemsBody } from '../api/json-body.ts';
import { alertViews, type ObjectView } from '../controller/status.ts';
import { actionView, describeItem, filterViews, keyOf } from './views.ts';
import type { ObjectKey } from '../model/object.ts';
import type { LoadVerdict, Runtime } from './runtime.ts';
import type { KeyPlan } from '../planner/key-plan.ts';
import { actionsOf } from '../planner/plan-key.ts';
import { dashboardHandlersOf } from './dashboard-handlers.ts';

/**
 * Binds the API routes to `rt` (logs for the dashboard are read from `stateDir`); `down` ends the
 * controller with every program stopped (`tend down`).
 */
export function handlersOf(rt: Runtime, stateDir: string, down?: () => void): ApiHandlers {
  return {
    // Each view's JSON is kept with it: views the next build hands out again are not serialised again.
    // The answers a CLI call waits for go ahead of background work (a bring-up's starts, the fill).
    objects: (filter) => rt.foreground(async () => itemsBody(filter.summary ? filterViews(await rt.summaries(), filter.kind, filter.selector) : filterViews(await listed(rt, namedKeys(filter.kind)), filter.kind, filter.selector))),
    describe: (key) => rt.foreground(async () => describeItem(await rt.status([key]), rt.events.recent(), key)),
    recentEvents: (forKey) => (forKey ? rt.events.recent().filter((e) => e.object === forKey) : rt.events.recent()),
    subscribeEvents: (listener) => rt.events.subscribe(listener),
    async reconcile() {
      // The plans of the passes this request runs, as the loop applied them (not a plan made
      // beside it): the same answer a `reconcile --once` of its own prints.
      const plans: KeyPlan[] = [];
      const stop = rt.onPass((pass) => plans.push(...pass));
      let manifests: LoadVerdict;
      try {
        manifests = await rt.reload();
        await rt.controller.enqueueAll();
        await rt.controller.idle();
      } finally {
        stop();
      }
      const actions = actionsOf(plans);
      return { ok: manifests === 'ok', manifests, actions: actions.map(actionView) };
    },
    diff: () => rt.foreground(async () => {
      // The manifests as they are now, as an offline diff reads them: loaded again unless the
      // watcher saw no change since the last load began (unchanged files are not parsed again).
      await rt.current();
      const actions = await rt.controller.plan();
      return { actions: actions.map(actionView), ...rt.lastLoad() };
    }),
    operate: (key, verb) => rt.controller.operate(key, verb),
    ...(down ? { shutdown: () => shutdownAnswer(rt, down) } : {}),
    metrics: async () => renderMetrics(await rt.status(), rt.probeTiming(), { ...rt.statusCounts(), loads: rt.loads() }),
    alerts: () => ({ items: alertViews(rt.alerts()) }),
    pools: {
      lease: (pool, waitMs, signal) => rt.controller.pools.lease(pool, waitMs, signal),
      get: (id) => rt.controller.pools.get(id),
      release: (id) => rt.controller.pools.release(id),
    },
    dashboard: dashboardHandlersOf(rt, stateDir),
  };
}

// Answered before the stops begin: the caller watches the controller's pid to see it end.
function shutdownAnswer(rt: Runtime, down: () => void): unknown {
  const running = rt.executor.snapshot().filter((i) => i.state !== 'exited').length;
  setImmediate(down);
  return { ok: true, pid: process.pid, stopping: running };
}

// One named object is planned alone; every object is listed without waiting for a fill.
function listed(rt: Runtime, keys: readonly ObjectKey[] | undefined): Promise<ObjectView[]> {
  return keys ? rt.status(keys) : rt.list();
}

// `process/web` names one object: only its view is built. A kind alone (or nothing) names all.
function namedKeys(kind: string | undefined): ObjectKey[] | undefined {
  if (!kind?.includes('/')) return undefined;
  try {
    return [keyOf(kind)];
  } catch {
    return undefined;
  }
}
