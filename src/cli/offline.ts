/**
 * A read-only look at the world when no controller answers: the manifests on disk, the state
 * file, and which recorded processes still live. Takes no lock and changes nothing; used by
 * `get`, `describe`, `diff` and `reconcile --dry-run`.
 */
import { availableParallelism, totalmem } from 'node:os';
import type { Plan } from '../model/action.ts';
import type { Diagnostic } from '../model/diagnostic.ts';
import type { History } from '../model/history.ts';
import type { Observed } from '../model/instance.ts';
import type { DesiredState } from '../model/object.ts';
import { createLocalExecutor } from '../executor/local/local-executor.ts';
import { generationChanges } from '../controller/controller.ts';
import { bookFromObjects, mergeLoad } from '../controller/desired.ts';
import { buildStatus, type ObjectView } from '../controller/status.ts';
import { buildSummaries, type ObjectSummary } from '../controller/status-summary.ts';
import { createHistoryStore } from '../controller/store.ts';
import { createDependencyLinks } from '../controller/dependency-links.ts';
import { actionsOf, planAll } from '../planner/plan-key.ts';
import { planWorld } from '../planner/plan-world.ts';
import { systemClock } from '../platform/clock.ts';
import { stateIdOf } from '../platform/state-dir.ts';
import { readStateFile } from '../platform/state-file.ts';
import type { CliContext } from './context.ts';
import { loadManifestDir } from './load-manifests.ts';
import { replayRecords, type PersistedState } from './state-journal.ts';

export interface OfflineView {
  readonly desired: DesiredState;
  readonly observed: Observed;
  readonly history: History;
  readonly plan: Plan;
  /** When it was read. */
  readonly now: number;
  readonly diagnostics: readonly Diagnostic[];
  /** Set when the manifest directory could not be read. */
  readonly dirError?: string;
}

/** Reads manifests, state and live processes, and plans what a reconcile would do. */
export async function readOffline(ctx: CliContext): Promise<OfflineView> {
  const now = systemClock.now();
  const read = readStateFile(ctx.stateDir, (v): v is PersistedState => typeof v === 'object' && v !== null, now, replayRecords);
  const persisted = read.kind === 'ok' ? read.state : undefined;
  const observed = await observeRecorded(ctx, persisted);
  const history: History = new Map(persisted?.history ?? []);
  const book = bookFromObjects(persisted?.objects ?? []);
  const loaded = await loadManifestDir(ctx);
  const objects = loaded.ok ? mergeLoad(book, loaded.files, now, 0).objects : mergeLoad(book, [], now, Infinity).objects;
  const desired: DesiredState = { objects, revision: loaded.ok ? loaded.revision : (persisted?.revision ?? '') };
  // The links a controller would hold: pruned objects keep theirs, so their dependents stop first.
  const links = createDependencyLinks();
  links.update(new Map((persisted?.objects ?? []).map((o) => [o.key, o])));
  links.update(objects);
  const world = planWorld({ objects, observed, history: withGenerations(desired, history), now, machine: { cpu: availableParallelism(), memory: totalmem() }, dependentsOf: (key) => links.dependentsOf(key) });
  const planned = actionsOf(planAll(world));
  const base = { desired, observed, history, plan: planned, now, diagnostics: loaded.ok ? loaded.diagnostics : [] };
  return loaded.ok ? base : { ...base, dirError: loaded.message };
}

/** Status views of an offline look. */
export function offlineStatus(view: OfflineView): ObjectView[] {
  return buildStatus(view);
}

/** One line per object of an offline look, as `GET /v1/objects?view=summary` answers. */
export function offlineSummaries(view: OfflineView): ObjectSummary[] {
  return buildSummaries(view);
}

async function observeRecorded(ctx: CliContext, persisted: PersistedState | undefined): Promise<Observed> {
  const executor = createLocalExecutor({ stateDir: ctx.stateDir, stateId: stateIdOf(ctx.stateDir), clock: systemClock, asRoot: ctx.asRoot });
  try {
    await executor.adopt(persisted?.instances ?? []);
    return await executor.observe();
  } finally {
    await executor.close();
  }
}

// The generation a controller would give each object now, so planned starts carry it.
function withGenerations(desired: DesiredState, history: History): History {
  const store = createHistoryStore(history);
  store.syncGenerations(generationChanges(desired.objects.keys(), desired.objects));
  return store.get();
}
