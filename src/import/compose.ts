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
import { dependenciesOf } from './compose-deps.ts';
import { readinessOf } from './compose-health.ts';
import { deployOf, restartOf, stopOf } from './compose-restart.ts';
import { readEnv } from './env-values.ts';
import { interpolateTree } from './interpolate.ts';
import { manifestPath, objectName } from './names.ts';
import { FieldReader, Ledger, notUsable } from './reader.ts';
import { splitWords } from './shell-words.ts';
import { entryOf, type SourceNode } from './tree.ts';
import type { ImportContext, ImportedObject, ImportResult, SourceText } from './types.ts';
import { yamlTree } from './yaml-tree.ts';

type Spec = Record<string, unknown>;
type MapNode = Extract<SourceNode, { t: 'map' }>;

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
  for (const key of ['tty', 'stdin_open', 'privileged']) s.takeIf(key, 'false');
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


function healthOf(s: FieldReader): Spec | undefined {
  const entry = s.take('healthcheck');
  if (!entry) return undefined;
  if (entry.value.t !== 'map') {
    s.reject(entry, notUsable(entry.value, 'a map'));
    return undefined;
  }
  return readinessOf(new FieldReader(entry.value, s.field('healthcheck'), s.ledger));
}

