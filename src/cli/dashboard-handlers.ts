/** The dashboard's answers, computed from a runtime (see api/dashboard-routes.ts). */
import type { DashboardHandlers } from '../api/dashboard-routes.ts';
import { readLogTail } from './log-tail.ts';
import type { Runtime } from './runtime.ts';
import { actionView } from './views.ts';

/** Binds the dashboard's routes to `rt`; logs are read from `stateDir`. */
export function dashboardHandlersOf(rt: Runtime, stateDir: string): DashboardHandlers {
  return {
    // The controller's own plan(): what its next pass carries out, the plan `tend diff` shows.
    async plan() {
      const actions = await rt.controller.plan();
      return { actions: actions.map(actionView) };
    },
    async scheduler() {
      const view = await rt.controller.scheduling();
      return { stats: view.stats, queue: view.queue };
    },
    usage: (object, top) => rt.usageHistory.series(object, top),
    logs: (instance, lines) => readLogTail(stateDir, instance, lines),
  };
}
