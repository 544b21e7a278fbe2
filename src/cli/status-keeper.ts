/**
 * The status the API answers, kept per key (controller/status-cache.ts) and shared between
 * requests (shared-builds.ts). After each manifest load a *fill* plans and builds what the load
 * changed in the background, a turn at a time; `tend get` (its table and `-o json`) answers
 * meanwhile without waiting for it, showing keys the fill has not reached from their object and
 * instances with nothing planned. `views()` is exact at one moment whatever runs (`reconcile
 * --wait`, `/metrics`). Counts what it did, for `/metrics`.
 */
import type { Action } from '../model/action.ts';
import type { ObjectKey } from '../model/object.ts';
import type { ObjectView } from '../controller/status.ts';
import type { ObjectSummary } from '../controller/status-summary.ts';
import { createStatusCache, type StatusBuild, type StatusSource } from '../controller/status-cache.ts';
import type { TurnYield } from '../platform/turn-budget.ts';
import { shareBuilds } from './shared-builds.ts';

export interface StatusKeeperDeps {
  /** What a build reads, observed now. */
  readonly source: () => Promise<StatusSource>;
  /** The actions of `keys` planned against `source`'s moment (`oneTurn`: without giving up the turn). */
  readonly plan: (keys: readonly ObjectKey[], source: StatusSource, oneTurn: boolean) => Promise<readonly Action[]>;
  /** Lets other work run during a fill or a build of every object at one moment. */
  readonly yieldTurn: TurnYield;
  /** The fill's yield, when it differs from `yieldTurn` (a background one: see turn-budget.ts). */
  readonly fillTurn?: TurnYield;
  readonly now: () => number;
  /** What a build reads, as immutable snapshots (the manifests, the history, the instances). */
  readonly inputs: () => readonly unknown[];
  /** Told of each view and summary a fill makes. */
  readonly made?: (item: ObjectView | ObjectSummary) => void;
  readonly onError: (error: unknown) => void;
}

/** What the status keeping did since the controller started (`/metrics`). */
export interface StatusCounts {
  /** Fills run (a fill asked for during one runs once more after it). */
  readonly fills: number;
  /** Keys planned and built by fills. */
  readonly filled: number;
  /** Keys answered with nothing planned while a fill ran. */
  readonly provisional: number;
  /** The most keys one answer that does not wait planned itself. */
  readonly mostPlanned: number;
}

export interface StatusKeeper {
  /** Every object's view, all planned at one moment. */
  views(): Promise<ObjectView[]>;
  /** Every object's view without waiting for a fill. */
  viewsNow(): Promise<ObjectView[]>;
  /** Every object's summary without waiting for a fill. */
  summariesNow(): Promise<ObjectSummary[]>;
  /** Fills in the background; asked during a fill, one more runs after it. */
  fill(): void;
  counts(): StatusCounts;
}

/** Creates the status keeping of one controller. */
export function createStatusKeeper(deps: StatusKeeperDeps): StatusKeeper {
  const cache = createStatusCache({ plan: deps.plan, yieldTurn: deps.yieldTurn, ...(deps.fillTurn ? { fillTurn: deps.fillTurn } : {}), ...(deps.made ? { made: deps.made } : {}) });
  let counts: StatusCounts = { fills: 0, filled: 0, provisional: 0, mostPlanned: 0 };
  let filling: Promise<void> | undefined;
  let again = false;
  const exact = shareBuilds(async () => cache.build(await deps.source()), deps.now, deps.inputs);
  const now = shareBuilds(async () => counted(await cache.build(await deps.source(), { provisional: filling !== undefined })), deps.now, () => [...deps.inputs(), filling]);
  const counted = (build: StatusBuild): StatusBuild => {
    counts = { ...counts, provisional: counts.provisional + build.provisional.size, mostPlanned: Math.max(counts.mostPlanned, build.rebuilt.size) };
    return build;
  };
  const fillAll = async (): Promise<void> => {
    do {
      again = false;
      const filled = await cache.fill(await deps.source());
      counts = { ...counts, fills: counts.fills + 1, filled: counts.filled + filled };
    } while (again);
  };
  return {
    views: async () => (await exact.get()).views(),
    viewsNow: async () => (await now.get()).views(),
    summariesNow: async () => (await now.get()).summaries(),
    fill() {
      if (filling) {
        again = true;
        return;
      }
      filling = fillAll().catch(deps.onError).finally(() => (filling = undefined));
    },
    counts: () => counts,
  };
}
