/**
 * Selecting and shaping status views for the CLI and the API: kind aliases (`process`, `procs`,
 * `pool`, `jobs`, ...), label selectors (`-l app=shop,tier!=db`) and the describe item.
 */
import type { Action } from '../model/action.ts';
import type { TendEvent } from '../model/event.ts';
import type { ObjectView } from '../controller/status.ts';
import { UsageError } from './context.ts';

const KIND_ALIASES: Readonly<Record<string, string>> = {
  process: 'Process', processes: 'Process', proc: 'Process', procs: 'Process', p: 'Process',
  pool: 'ProcessPool', pools: 'ProcessPool', processpool: 'ProcessPool', processpools: 'ProcessPool',
  job: 'Job', jobs: 'Job',
  node: 'Node', nodes: 'Node',
};

/** `process/web` from `process/web`, `processes/web` or `Process/web`; undefined kind for `all`. */
export function parseTarget(target: string | undefined): { kind?: string; name?: string } {
  if (target === undefined || target === 'all') return {};
  const [kindText = '', name] = target.split('/', 2);
  const kind = KIND_ALIASES[kindText.toLowerCase()];
  if (!kind) throw new UsageError(`unknown kind "${kindText}" (expected process, pool, job or node)`);
  return name ? { kind, name } : { kind };
}

/** The object key for a `KIND/NAME` argument. */
export function keyOf(target: string | undefined): string {
  const { kind, name } = parseTarget(target);
  if (!kind || !name) throw new UsageError(`expected KIND/NAME, e.g. process/web (got "${target ?? ''}")`);
  return `${kind === 'ProcessPool' ? 'pool' : kind.toLowerCase()}/${name}`;
}

/** Views of `kind` (name optional: `process/web`) whose labels match `selector`. */
export function filterViews<V extends Pick<ObjectView, 'kind' | 'name' | 'labels'>>(views: readonly V[], kind?: string, selector?: string): V[] {
  const target = kind ? parseTarget(kind) : {};
  const match = selector ? parseSelector(selector) : () => true;
  return views.filter((v) => (!target.kind || v.kind === target.kind) && (!target.name || v.name === target.name) && match(v.labels));
}

/** `app=shop,tier!=db,env` → a predicate over labels. */
export function parseSelector(selector: string): (labels: Readonly<Record<string, string>>) => boolean {
  const terms = selector.split(',').map((term) => {
    const m = /^\s*([A-Za-z0-9._/-]+)\s*(==|=|!=)?\s*([A-Za-z0-9._-]*)\s*$/.exec(term);
    if (!m?.[1]) throw new UsageError(`bad label selector term "${term}" (expected key=value, key!=value or key)`);
    return { key: m[1], op: m[2], value: m[3] ?? '' };
  });
  return (labels) =>
    terms.every(({ key, op, value }) => (op === undefined ? key in labels : op === '!=' ? labels[key] !== value : labels[key] === value));
}

/** The describe item: the object's view plus its recent events; undefined when unknown. */
export function describeItem(views: readonly ObjectView[], events: readonly TendEvent[], key: string): unknown {
  const view = views.find((v) => v.key === key);
  if (!view) return undefined;
  return { ...view, events: events.filter((e) => e.object === key).slice(-20) };
}

/** An action as answers and `-o json` show it: what, on which object and instance, and why. */
export type ActionView = Pick<Action, 'type' | 'object' | 'instance' | 'reason' | 'message'>;

/** {@link ActionView} of `action`, without the spec and the rest it carries for the executor. */
export function actionView({ type, object, instance, reason, message }: ActionView): ActionView {
  return { type, object, instance, reason, message };
}
