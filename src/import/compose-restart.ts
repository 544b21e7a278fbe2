/**
 * The restart and stop settings of a Compose service: `restart` (with Docker's restart delay),
 * `deploy.restart_policy` (which wins), `deploy.replicas`/`scale`, `deploy.resources`,
 * `stop_signal` and `stop_grace_period`.
 */
import { goDuration, resourcesOf } from './compose-health.ts';
import { FieldReader } from './reader.ts';
import { entryOf } from './tree.ts';
import { durationOf, signalName } from './units.ts';

type Spec = Record<string, unknown>;

/** Docker's restart delay: 100 ms doubling up to 1 min, back to 100 ms after a 10 s run. */
const DOCKER_BACKOFF = { strategy: 'exponential', initialDelay: '100ms', maxDelay: '1m', multiplier: 2, jitter: 0, resetAfter: '10s' } as const;

/** What `deploy` (and `scale`) gives. */
export interface Deploy {
  readonly replicas?: number;
  readonly resources?: Spec;
  readonly restart?: FieldReader;
}

/** `deploy.replicas` (or `scale`), `deploy.resources` and `deploy.restart_policy`. */
export function deployOf(s: FieldReader, notes: string[]): Deploy {
  const scale = s.num('scale');
  const entry = s.take('deploy');
  if (!entry || entry.value.t !== 'map') return scale !== undefined ? { replicas: scale } : {};
  const d = new FieldReader(entry.value, s.field('deploy'), s.ledger);
  const replicas = d.num('replicas') ?? scale;
  const resourcesNode = d.raw('resources');
  const resources = resourcesNode ? resourcesOf(resourcesNode, d) : undefined;
  const rp = d.raw('restart_policy');
  const restart = rp?.t === 'map' ? new FieldReader(rp, d.field('restart_policy'), s.ledger) : undefined;
  d.rest((k) => (k === 'mode' && String((entryOf(entry.value, 'mode') as { value?: unknown } | undefined)?.value) === 'replicated' ? 'replicated is what tend does' : `a Swarm setting: tend runs on one machine`));
  if (replicas !== undefined && replicas > 1) notes.push(`${replicas} replicas share the host's ports: give each its own from TEND_REPLICA.`);
  return { ...(replicas !== undefined ? { replicas } : {}), ...(resources ? { resources } : {}), ...(restart ? { restart } : {}) };
}

/** The restart policy and backoff of a service. */
export function restartOf(s: FieldReader, policy: FieldReader | undefined): Spec {
  if (policy) return swarmRestart(policy, s);
  const text = s.str('restart') ?? 'no';
  const [name, max] = text.split(':');
  const restartPolicy = ({ no: 'Never', always: 'Always', 'on-failure': 'OnFailure', 'unless-stopped': 'UnlessStopped' } as Record<string, string>)[name ?? ''];
  if (!restartPolicy) {
    s.ledger.drop(s.node.line, s.field('restart'), `"${text}" is not no, always, on-failure[:N] or unless-stopped`);
    return {};
  }
  const out: Spec = { restartPolicy };
  if (restartPolicy !== 'Never') out.backoff = { ...DOCKER_BACKOFF };
  if (max !== undefined && Number(max) > 0) out.maxRestarts = Number(max);
  return out;
}

// `deploy.restart_policy`: condition, a fixed delay, max_attempts and the window a run must last to count as a success.
function swarmRestart(p: FieldReader, s: FieldReader): Spec {
  s.drop('restart', 'deploy.restart_policy is set and is used instead');
  const condition = p.str('condition') ?? 'any';
  const restartPolicy = ({ none: 'Never', 'on-failure': 'OnFailure', any: 'Always' } as Record<string, string>)[condition] ?? 'Always';
  const delay = goDuration(p, 'delay');
  const window = goDuration(p, 'window');
  const attempts = p.num('max_attempts');
  p.rest();
  const out: Spec = { restartPolicy };
  if (restartPolicy !== 'Never') out.backoff = { strategy: 'fixed', initialDelay: durationOf(delay ?? 5000), jitter: 0, resetAfter: durationOf(window ?? 0) };
  if (attempts !== undefined && attempts > 0) out.maxRestarts = attempts;
  return out;
}

/** `stop_signal` and `stop_grace_period` as `stop`. */
export function stopOf(s: FieldReader): Spec | undefined {
  const out: Spec = {};
  const signalEntry = s.take('stop_signal');
  if (signalEntry) {
    const text = signalEntry.value.t === 'scalar' ? String(signalEntry.value.value) : '';
    const name = signalName(text);
    if (name) out.signal = name;
    else s.reject(signalEntry, `tend stops with SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH or SIGKILL (got "${text}")`);
  }
  const grace = goDuration(s, 'stop_grace_period');
  if (grace !== undefined) out.gracePeriod = durationOf(grace);
  return Object.keys(out).length > 0 ? out : undefined;
}
