/**
 * Docker Compose files (`compose.yaml`, `docker-compose.yml`) to tend Processes, for services
 * that run a `command` on the host. tend runs no containers: `image` and `build` are reported,
 * and a service with no `command`/`entrypoint` (it would run the image's own) is not imported.
 *
 * Semantics carried over: `entrypoint` + `command` is the argv (a string is split like a shell
 * would, without running one); `restart` policies with Docker's restart delay (100 ms doubling
 * to 1 min, reset after a 10 s run); `depends_on` conditions (`service_healthy` waits for the
 * dependency's healthcheck, imported as its readiness probe); `stop_signal` and
 * `stop_grace_period`; `deploy.replicas` and `deploy.resources`.
 */
import { goDuration, readinessOf, resourcesOf } from './compose-health.ts';
import { readEnv } from './env-values.ts';
import { interpolateTree } from './interpolate.ts';
import { manifestPath, objectName } from './names.ts';
import { FieldReader, Ledger, notUsable } from './reader.ts';
import { splitWords } from './shell-words.ts';
import { entryOf, scalarText, type SourceNode } from './tree.ts';
import type { ImportContext, ImportedObject, ImportResult, SourceText } from './types.ts';
import { durationOf, signalName } from './units.ts';
import { yamlTree } from './yaml-tree.ts';

type Spec = Record<string, unknown>;
type MapNode = Extract<SourceNode, { t: 'map' }>;

/** Docker's restart delay: 100 ms doubling up to 1 min, back to 100 ms after a 10 s run. */
const DOCKER_BACKOFF = { strategy: 'exponential', initialDelay: '100ms', maxDelay: '1m', multiplier: 2, jitter: 0, resetAfter: '10s' } as const;

const CONDITIONS: Readonly<Record<string, string>> = {
  service_started: 'started',
  service_healthy: 'ready',
  service_completed_successfully: 'completed',
};

const KNOWN_DROPS: Readonly<Record<string, string>> = {
  image: 'tend runs `command` on the host; the image is not pulled or run',
  build: 'tend runs `command` on the host; nothing is built',
  ports: 'host programs bind their ports themselves; there is no container port to publish',
  expose: 'host programs bind their ports themselves',
  volumes: 'a host program sees the host file system; there is nothing to mount',
  networks: 'host programs share the host network',
  network_mode: 'host programs share the host network',
  container_name: 'tend names instances <name>-<n>',
  hostname: 'host programs share the host name',
  profiles: 'every service is imported; import the file again without the services you do not want',
  labels: 'container labels; tend labels are set on the object (metadata.labels) by hand',
  tty: 'tend gives programs no terminal; stdout and stderr go to log files',
  stdin_open: 'tend gives programs no stdin',
  init: 'tend reaps the whole process group of an instance itself',
  logging: 'tend writes stdout and stderr to rotated files in its state dir (`tend logs`)',
  secrets: 'give secrets through envFrom files or env values with secret: true',
  configs: 'host programs read their config files from the host',
  platform: 'tend runs host programs',
  pull_policy: 'tend runs host programs',
  privileged: 'tend runs programs as their user; there is no container to privilege',
  cap_add: 'no containers: capabilities are the user\'s',
  cap_drop: 'no containers: capabilities are the user\'s',
  extra_hosts: 'host programs use the host\'s resolver',
  dns: 'host programs use the host\'s resolver',
};

/** Imports one Compose file. */
export function importCompose(source: SourceText, context: ImportContext): ImportResult {
  const ledger = new Ledger(source.file);
  const root = interpolateTree(yamlTree(source.text, source.file), context.env);
  if (root.t !== 'map') {
    ledger.drop(root.line, '(file)', notUsable(root, 'a Compose file with services'));
    return { objects: [], drops: ledger.drops, mapped: [] };
  }
  const top = new FieldReader(root, '', ledger);
  const services = top.raw('services');
  top.rest((key) => (key.startsWith('x-') ? 'an extension field: its anchors were applied where they are used' : key === 'version' || key === 'name' ? 'nothing to set: tend objects are not grouped in a project' : `top-level ${key}: tend runs host programs, with no container ${key}`));
  if (services?.t !== 'map') return { objects: [], drops: ledger.drops, mapped: ledger.mapped };
  const runnable = new Set(services.entries.filter((e) => hasCommand(e.value)).map((e) => e.key));
  const objects = services.entries.flatMap((e) => {
    if (e.value.t !== 'map') return [];
    const service = new FieldReader(e.value, `services.${e.key}`, ledger);
    return runnable.has(e.key) ? [serviceOf(e.key, service, { source, context, runnable, services })] : skipService(service);
  });
  return { objects, drops: ledger.drops, mapped: ledger.mapped };
}

function hasCommand(node: SourceNode): boolean {
  return entryOf(node, 'command') !== undefined || entryOf(node, 'entrypoint') !== undefined;
}

function skipService(service: FieldReader): [] {
  service.ledger.drop(service.node.line, service.path, 'no command or entrypoint: it runs what its image runs, which tend cannot run on the host');
  service.rest(() => 'its service was not imported');
  return [];
}

interface ServiceContext {
  readonly source: SourceText;
  readonly context: ImportContext;
  readonly runnable: ReadonlySet<string>;
  readonly services: MapNode;
}

function serviceOf(key: string, s: FieldReader, at: ServiceContext): ImportedObject {
  const notes: string[] = [];
  s.ledger.map(s.path);
  const spec: Spec = { command: [...argv(s, 'entrypoint'), ...argv(s, 'command')] };
  spec.workingDir = manifestPath(at.context, at.source.dir, s.str('working_dir') ?? '.');
  Object.assign(spec, environmentOf(s, at, notes));
  const user = userOf(s);
  if (user !== undefined) spec.user = user;
  const deploy = deployOf(s, notes);
  if (deploy.replicas !== undefined) spec.replicas = deploy.replicas;
  Object.assign(spec, restartOf(s, deploy.restart));
  const readiness = healthOf(s);
  if (readiness) spec.probes = { readiness };
  const stop = stopOf(s);
  if (stop) spec.stop = stop;
  const dependsOn = dependenciesOf(s, at);
  if (dependsOn.length > 0) spec.dependsOn = dependsOn;
  if (deploy.resources && Object.keys(deploy.resources).length > 0) spec.resources = deploy.resources;
  s.rest((k) => KNOWN_DROPS[k] ?? (k.startsWith('x-') ? 'an extension field' : 'tend has no equivalent'));
  const name = objectName(key);
  if (name !== key) notes.push(`service "${key}" is named ${name} (tend names are DNS labels).`);
  return { name, labels: {}, spec, notes, source: { file: at.source.file, line: s.node.line, what: s.path } };
}

// A list is the argv; a string is split into words like a shell would, without running one.
function argv(s: FieldReader, key: string): string[] {
  const entry = s.take(key);
  if (!entry) return [];
  const v = entry.value;
  if (v.t === 'seq' && v.items.every((i) => i.t === 'scalar' && i.value !== null)) return v.items.map((i) => String((i as { value: unknown }).value));
  if (v.t === 'scalar' && typeof v.value === 'string') {
    const words = splitWords(v.value);
    if (words) return words;
  }
  s.reject(entry, notUsable(v, 'a command line or a list of words'));
  return [];
}

function environmentOf(s: FieldReader, at: ServiceContext, notes: string[]): Spec {
  const out: Spec = {};
  const env: Record<string, string> = {};
  const node = s.raw('environment');
  const inherited: string[] = [];
  if (node) readEnv(node, s.field('environment'), s.ledger, env, (name) => (inherited.push(name), null));
  if (inherited.length > 0) {
    notes.push(`${inherited.join(', ')}: no value in the file, so each comes from the environment tend runs in (as Compose takes it from the shell).`);
  }
  if (Object.keys(env).length > 0) out.env = env;
  const files = envFiles(s, at);
  if (files.length > 0) out.envFrom = files;
  return out;
}

function envFiles(s: FieldReader, at: ServiceContext): Spec[] {
  const entry = s.take('env_file');
  if (!entry) return [];
  const v = entry.value;
  const items = v.t === 'seq' ? v.items : [v];
  return items.flatMap((item): Spec[] => {
    const path = item.t === 'scalar' ? String(item.value) : item.t === 'map' ? String(entryOf(item, 'path')?.t === 'scalar' ? (entryOf(item, 'path') as { value: unknown }).value : '') : '';
    if (path === '') {
      s.ledger.drop(item.line, s.field('env_file'), notUsable(item, 'a file path or {path, required}'));
      return [];
    }
    const required = item.t === 'map' ? entryOf(item, 'required') : undefined;
    const optional = required?.t === 'scalar' && String(required.value) === 'false';
    return [{ file: manifestPath(at.context, at.source.dir, path), ...(optional ? { optional: true } : {}) }];
  });
}

// `uid:gid` or `name:group`: tend runs as the user (and its primary group).
function userOf(s: FieldReader): string | undefined {
  const entry = s.take('user');
  const text = entry?.value.t === 'scalar' ? String(entry.value.value) : undefined;
  if (!entry || text === undefined) return undefined;
  const [user, group] = text.split(':');
  if (group !== undefined) s.ledger.drop(entry.line, s.field('user'), `group "${group}": tend runs a program with its user's primary group`);
  return user;
}

interface Deploy {
  readonly replicas?: number;
  readonly resources?: Spec;
  readonly restart?: FieldReader;
}

function deployOf(s: FieldReader, notes: string[]): Deploy {
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

function restartOf(s: FieldReader, policy: FieldReader | undefined): Spec {
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

function healthOf(s: FieldReader): Spec | undefined {
  const entry = s.take('healthcheck');
  if (!entry) return undefined;
  if (entry.value.t !== 'map') {
    s.reject(entry, notUsable(entry.value, 'a map'));
    return undefined;
  }
  return readinessOf(new FieldReader(entry.value, s.field('healthcheck'), s.ledger));
}

function stopOf(s: FieldReader): Spec | undefined {
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

function dependenciesOf(s: FieldReader, at: ServiceContext): Spec[] {
  const entry = s.take('depends_on');
  if (!entry) return [];
  const v = entry.value;
  if (v.t === 'seq') return v.items.flatMap((i) => dependency(String(i.t === 'scalar' ? i.value : ''), undefined, i.line, s, at));
  if (v.t !== 'map') return [];
  return v.entries.flatMap((e) => {
    if (e.value.t !== 'map') return dependency(e.key, undefined, e.line, s, at);
    const d = new FieldReader(e.value, s.field(`depends_on.${e.key}`), s.ledger);
    const condition = d.str('condition');
    d.drop('restart', 'tend does not restart dependents when a dependency restarts');
    d.drop('required', 'tend always waits for a dependency it knows');
    d.rest();
    return dependency(e.key, condition, e.line, s, at);
  });
}

function dependency(name: string, condition: string | undefined, line: number, s: FieldReader, at: ServiceContext): Spec[] {
  const field = s.field(`depends_on.${name}`);
  if (!at.runnable.has(name)) {
    s.ledger.drop(line, field, `"${name}" was not imported (no command, or no such service), so there is nothing to wait for; start it another way first`);
    return [];
  }
  const mapped = CONDITIONS[condition ?? 'service_started'];
  if (!mapped) {
    s.ledger.drop(line, field, `condition "${condition}" is not service_started, service_healthy or service_completed_successfully`);
    return [];
  }
  const target = entryOf(at.services, name);
  if (mapped === 'ready' && !entryOf(target, 'healthcheck')) s.ledger.drop(line, field, `"${name}" has no healthcheck; it is Ready once started`);
  else if (mapped === 'completed' && restartsAfterEveryExit(target)) {
    s.ledger.drop(line, field, `"${name}" restarts after every exit, so tend never sees it completed; this waits for it to be started`);
    return [{ name: objectName(name), condition: 'started' }];
  } else s.ledger.map(field);
  return [{ name: objectName(name), condition: mapped }];
}

// restart: always / unless-stopped, or a deploy.restart_policy with condition any (its default).
function restartsAfterEveryExit(service: SourceNode | undefined): boolean {
  const policy = entryOf(entryOf(service, 'deploy'), 'restart_policy');
  if (policy) return (scalarText(entryOf(policy, 'condition')) ?? 'any') === 'any';
  return ['always', 'unless-stopped'].includes(scalarText(entryOf(service, 'restart')) ?? 'no');
}
