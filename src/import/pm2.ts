/**
 * PM2 ecosystem files (`ecosystem.config.js`, `.cjs`, `.json`, `.yaml`) to tend Processes, one
 * per `apps[]` entry. A JavaScript file is not run: only its literal values are read (see
 * js-tree.ts), and anything computed is reported with its position.
 *
 * Semantics carried over, not only names: PM2's "`max_restarts` unstable restarts, each shorter
 * than `min_uptime`" is a circuit breaker; `restart_delay` and `exp_backoff_restart_delay` are
 * tend backoffs with PM2's curve (×1.5 up to 15 s, reset after 30 s up); PM2 stops with SIGINT,
 * then SIGKILL after `kill_timeout` (default 1600 ms); `max_memory_restart` is a memory limit the
 * monitor holds with a graceful restart.
 */
import { basename, extname } from 'node:path';
import { jsTree } from './js-tree.ts';
import { manifestPath, objectName } from './names.ts';
import { FieldReader, Ledger, notUsable } from './reader.ts';
import { readEnv } from './env-values.ts';
import { restartOf } from './pm2-restart.ts';
import { splitWords } from './shell-words.ts';
import type { SourceNode } from './tree.ts';
import type { ImportContext, ImportedObject, ImportResult, SourceText } from './types.ts';
import { binaryQuantity, durationOf } from './units.ts';
import { yamlTree } from './yaml-tree.ts';

type Spec = Record<string, unknown>;

// PM2's choice of interpreter by the script's extension; `none` runs the script itself.
const INTERPRETERS: Readonly<Record<string, string>> = {
  '.js': 'node', '.cjs': 'node', '.mjs': 'node', '.ts': 'ts-node', '.coffee': 'coffee', '.ls': 'lsc',
  '.sh': 'bash', '.py': 'python', '.rb': 'ruby', '.php': 'php', '.pl': 'perl',
};

const PM2_DEFAULT_KILL_TIMEOUT_MS = 1600;

const KNOWN_DROPS: Readonly<Record<string, string>> = {
  cron_restart: 'tend restarts a Process only when it exits or fails a check; restart it on a schedule with a Job running `tend restart process/NAME`',
  out_file: 'tend writes stdout to its state dir; read it with `tend logs NAME`',
  error_file: 'tend writes stderr to its state dir; read it with `tend logs NAME`',
  log_file: 'tend writes stdout and stderr to its state dir; read them with `tend logs NAME`',
  output: 'tend writes stdout to its state dir; read it with `tend logs NAME`',
  error: 'tend writes stderr to its state dir; read it with `tend logs NAME`',
  pid_file: 'tend keeps pids in its state file (`tend get -o json`)',
  merge_logs: 'tend keeps one log per instance; `tend logs NAME` prints them all',
  combine_logs: 'tend keeps one log per instance; `tend logs NAME` prints them all',
  log_date_format: 'tend writes program output as is',
  time: 'tend writes program output as is',
  watch: 'tend restarts on manifest changes, not on changes of the program files',
  ignore_watch: 'tend restarts on manifest changes, not on changes of the program files',
  watch_delay: 'tend restarts on manifest changes, not on changes of the program files',
  wait_ready: 'tend has no process.send("ready"); give the Process a readiness probe',
  listen_timeout: 'tend has no process.send("ready"); use startupTimeout with a startup probe',
  shutdown_with_message: 'tend stops with a signal, not an IPC message',
  instance_var: 'tend sets TEND_REPLICA (0, 1, ...) in each instance instead of NODE_APP_INSTANCE',
  increment_var: 'tend cannot give each instance its own value of a variable; derive it from TEND_REPLICA',
  source_map_support: 'a Node.js flag of PM2\'s wrapper; pass --enable-source-maps in interpreter_args',
  vizion: 'tend does not track the program\'s version control',
  post_update: 'tend does not update programs',
  force: 'a flag of the `pm2 start` command',
  append_env_to_name: 'tend names objects from `name` only',
  filter_env: 'tend passes its own environment to programs, overlaid by env',
  automation: 'PM2 Plus monitoring',
  pmx: 'PM2 Plus monitoring',
  disable_trace: 'PM2 Plus monitoring',
};

/** Imports one PM2 ecosystem file. */
export function importPm2(source: SourceText, context: ImportContext): ImportResult {
  const ledger = new Ledger(source.file);
  const root = /\.[cm]?js$/.test(source.file) ? jsTree(source.text, source.file) : yamlTree(source.text, source.file);
  const objects = appNodes(root, ledger).flatMap(({ node, path }) => {
    if (node.t !== 'map') {
      ledger.drop(node.line, path, notUsable(node, 'an app object'));
      return [];
    }
    const app = importApp(new FieldReader(node, path, ledger), source, context);
    return app ? [app] : [];
  });
  return { objects, drops: ledger.drops, mapped: ledger.mapped };
}

function appNodes(root: SourceNode, ledger: Ledger): { node: SourceNode; path: string }[] {
  if (root.t === 'seq') return root.items.map((node, i) => ({ node, path: `[${i}]` }));
  if (root.t !== 'map') {
    ledger.drop(root.line, 'module.exports', notUsable(root, 'an object with apps'));
    return [];
  }
  const top = new FieldReader(root, '', ledger);
  const apps = top.raw('apps');
  top.rest((key) => (key === 'deploy' ? 'tend does not deploy code; check the code out and point tend at its manifests' : 'not part of apps[]; tend has no equivalent'));
  if (apps?.t === 'seq') return apps.items.map((node, i) => ({ node, path: `apps[${i}]` }));
  if (apps?.t === 'map') return [{ node: apps, path: 'apps' }];
  if (apps) ledger.drop(apps.line, 'apps', notUsable(apps, 'a list of apps'));
  return [];
}

function importApp(app: FieldReader, source: SourceText, context: ImportContext): ImportedObject | undefined {
  const script = app.str('script');
  if (script === undefined) {
    app.rest(() => 'the app has no script, so it was not imported');
    app.ledger.drop(app.node.line, app.path, 'no `script`: nothing to run');
    return undefined;
  }
  const notes: string[] = [];
  const name = objectName(app.str('name') ?? basename(script, extname(script)));
  const spec: Spec = { command: commandOf(app, script) };
  const cwd = app.str('cwd');
  spec.workingDir = manifestPath(context, source.dir, cwd ?? '.');
  const env = envOf(app, context);
  if (Object.keys(env).length > 0) spec.env = env;
  const replicas = replicasOf(app, context, notes);
  if (replicas !== undefined) spec.replicas = replicas;
  Object.assign(spec, restartOf(app, notes));
  const memory = app.str('max_memory_restart');
  if (memory !== undefined) Object.assign(spec, memoryLimit(app, memory, notes));
  const kill = app.num('kill_timeout');
  spec.stop = { signal: 'SIGINT', gracePeriod: durationOf(kill ?? PM2_DEFAULT_KILL_TIMEOUT_MS) };
  if (app.has('treekill')) treekill(app);
  app.takeIf('watch', 'false');
  const namespace = app.str('namespace');
  app.rest((key) => KNOWN_DROPS[key] ?? 'tend has no equivalent');
  const labels: Record<string, string> = namespace !== undefined ? { namespace: objectName(namespace) } : {};
  return { name, labels, spec, notes, source: { file: source.file, line: app.node.line, what: app.path } };
}

// [interpreter, interpreter args, script, args]; interpreter `none` (or an extensionless script) runs the script itself.
function commandOf(app: FieldReader, script: string): string[] {
  const interpreter = app.str('interpreter') ?? app.str('exec_interpreter') ?? INTERPRETERS[extname(script)] ?? (extname(script) === '' ? 'none' : 'node');
  const interpreterArgs = [...words(app, 'interpreter_args'), ...words(app, 'node_args')];
  const args = words(app, 'args');
  if (interpreter === 'none') return [script, ...args];
  return [interpreter, ...interpreterArgs, script, ...args];
}

function words(app: FieldReader, key: string): string[] {
  const entry = app.take(key);
  if (!entry) return [];
  const v = entry.value;
  if (v.t === 'scalar' && typeof v.value === 'string') {
    const split = splitWords(v.value);
    if (split) return split;
    app.reject(entry, 'an unclosed quote; close it');
    return [];
  }
  if (v.t === 'seq' && v.items.every((i) => i.t === 'scalar' && i.value !== null)) return v.items.map((i) => String((i as { value: unknown }).value));
  app.reject(entry, notUsable(v, 'a string or a list of strings'));
  return [];
}

// `env`, then `env_<name>` of --env on top, as `pm2 start --env <name>` does.
function envOf(app: FieldReader, context: ImportContext): Record<string, string> {
  const env: Record<string, string> = {};
  const base = app.raw('env');
  if (base) readEnv(base, app.field('env'), app.ledger, env);
  for (const entry of app.node.entries) {
    if (!entry.key.startsWith('env_')) continue;
    const chosen = context.envName !== undefined && entry.key === `env_${context.envName}`;
    if (!chosen) {
      app.drop(entry.key, context.envName === undefined ? `an environment chosen with --env; import with --env ${entry.key.slice(4)} to apply it` : `not the environment chosen (--env ${context.envName})`);
      continue;
    }
    const node = app.raw(entry.key);
    if (node) readEnv(node, app.field(entry.key), app.ledger, env);
  }
  return env;
}

function replicasOf(app: FieldReader, context: ImportContext, notes: string[]): number | undefined {
  const mode = app.take('exec_mode');
  if (mode && /^cluster/.test(String((mode.value as { value?: unknown }).value))) {
    app.reject(mode, 'cluster mode shares one listening socket through Node\'s cluster module; tend runs each instance as a process of its own (give each a port from TEND_REPLICA, or use SO_REUSEPORT)');
  }
  const entry = app.take('instances');
  if (!entry) return undefined;
  const v = entry.value;
  const text = v.t === 'scalar' ? String(v.value) : '';
  const n = text === 'max' ? 0 : Number(text);
  if (!Number.isInteger(n)) {
    app.reject(entry, notUsable(v, 'a number or "max"'));
    return undefined;
  }
  if (n > 0) return n;
  const replicas = Math.max(1, context.cpus + n);
  notes.push(`instances: ${text} is ${replicas} on the machine this was imported on (${context.cpus} cores).`);
  return replicas;
}





function memoryLimit(app: FieldReader, text: string, notes: string[]): Spec {
  const quantity = binaryQuantity(text);
  if (quantity === undefined) {
      app.ledger.drop(app.node.line, app.field('max_memory_restart'), `"${text}" is not a size like 300M or 1G`);
    return {};
  }
  notes.push('max_memory_restart: the monitor checks memory every second (PM2: every 30 s) and restarts gracefully.');
  return { resources: { limits: { memory: quantity }, onExceed: 'restart', enforce: 'monitor' } };
}

function treekill(app: FieldReader): void {
  const entry = app.node.entries.find((e) => e.key === 'treekill');
  const on = app.bool('treekill');
  if (on === false && entry) app.reject(entry, 'tend always signals the whole process group of an instance');
}
