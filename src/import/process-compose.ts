/**
 * process-compose files (`process-compose.yaml`) to tend Processes. Commands run as
 * process-compose runs them: through the configured shell (`bash -c` unless `shell` says
 * otherwise). `availability` becomes the restart policy with a fixed backoff of
 * `backoff_seconds` and `maxRestarts`; `depends_on` conditions, readiness and liveness probes,
 * `replicas`, `shutdown` (command as a preStop hook, signal, timeout), `namespace` (a label) and
 * `disabled` (0 replicas) carry over.
 */
import { readEnv } from './env-values.ts';
import { probesOf, type Shell } from './process-compose-probes.ts';
import { manifestPath, objectName } from './names.ts';
import { FieldReader, Ledger, notUsable } from './reader.ts';
import { entryOf, scalarText, type SourceNode } from './tree.ts';
import type { ImportContext, ImportedObject, ImportResult, SourceText } from './types.ts';
import { durationOf, signalName } from './units.ts';
import { yamlTree } from './yaml-tree.ts';

type Spec = Record<string, unknown>;

const CONDITIONS: Readonly<Record<string, string>> = {
  process_started: 'started',
  process_healthy: 'ready',
  process_completed_successfully: 'completed',
  process_completed: 'completed',
};

const RESTART: Readonly<Record<string, string>> = { always: 'Always', on_failure: 'OnFailure', no: 'Never', exit_on_failure: 'Never' };

const KNOWN_DROPS: Readonly<Record<string, string>> = {
  log_location: 'tend writes stdout and stderr to rotated files in its state dir (`tend logs NAME`)',
  is_daemon: 'tend supervises programs that stay in the foreground; run the program without daemonizing',
  is_tty: 'tend gives programs no terminal',
  ready_log_line: 'tend does not read program output for readiness; give it a readiness probe',
  env_cmds: 'tend does not run commands to make environment values',
  vars: 'templates are not expanded; write the values out',
  is_elevated: 'tend runs a program as its user; run tend as root and set user',
  launch_timeout_seconds: 'applies to daemons, which tend does not run',
  log_configuration: 'tend writes program output as is',
};

/** Imports one process-compose file. */
export function importProcessCompose(source: SourceText, context: ImportContext): ImportResult {
  const ledger = new Ledger(source.file);
  const root = yamlTree(source.text, source.file);
  if (root.t !== 'map') {
    ledger.drop(root.line, '(file)', notUsable(root, 'a map with processes'));
    return { objects: [], drops: ledger.drops, mapped: [] };
  }
  const top = new FieldReader(root, '', ledger);
  const shell = shellOf(top);
  const globalEnv: Record<string, string> = {};
  const envNode = top.raw('environment');
  if (envNode) readEnv(envNode, 'environment', ledger, globalEnv);
  const processes = top.raw('processes');
  top.rest((key) => (key === 'version' ? 'nothing to set' : `process-compose's own setting; tend has no equivalent`));
  if (processes?.t !== 'map') return { objects: [], drops: ledger.drops, mapped: ledger.mapped };
  const objects = processes.entries.flatMap((e) => {
    if (e.value.t !== 'map') return [];
    return [processOf(e.key, new FieldReader(e.value, `processes.${e.key}`, ledger), { source, context, shell, globalEnv, processes })];
  });
  return { objects, drops: ledger.drops, mapped: ledger.mapped };
}

function shellOf(top: FieldReader): Shell {
  const entry = top.take('shell');
  if (!entry || entry.value.t !== 'map') return { command: 'bash', argument: '-c' };
  const s = new FieldReader(entry.value, 'shell', top.ledger);
  const shell = { command: s.str('shell_command') ?? 'bash', argument: s.str('shell_argument') ?? '-c' };
  s.rest();
  return shell;
}

interface FileContext {
  readonly source: SourceText;
  readonly context: ImportContext;
  readonly shell: Shell;
  readonly globalEnv: Readonly<Record<string, string>>;
  readonly processes: SourceNode;
}

function processOf(key: string, p: FieldReader, at: FileContext): ImportedObject {
  const notes: string[] = [];
  p.ledger.map(p.path);
  const spec: Spec = { command: commandOf(p, at.shell) };
  spec.workingDir = manifestPath(at.context, at.source.dir, p.str('working_dir') ?? '.');
  const env: Record<string, string> = { ...at.globalEnv };
  const envNode = p.raw('environment');
  if (envNode) readEnv(envNode, p.field('environment'), p.ledger, env);
  if (Object.keys(env).length > 0) spec.env = env;
  const replicas = p.num('replicas');
  const disabled = p.bool('disabled') === true;
  if (disabled) notes.push(`disabled: 0 replicas; set replicas to ${replicas ?? 1} to start it.`);
  if (disabled || replicas !== undefined) spec.replicas = disabled ? 0 : replicas;
  Object.assign(spec, availabilityOf(p));
  const probes = probesOf(p, at.shell);
  if (Object.keys(probes).length > 0) spec.probes = probes;
  Object.assign(spec, shutdownOf(p, at.shell, notes));
  const dependsOn = dependenciesOf(p, at.processes);
  if (dependsOn.length > 0) spec.dependsOn = dependsOn;
  const namespace = p.str('namespace');
  const description = p.str('description');
  if (description !== undefined) notes.push(description.replace(/\s+/g, ' '));
  for (const key of ['is_daemon', 'is_tty', 'is_elevated']) p.takeIf(key, 'false');
  p.rest((k) => KNOWN_DROPS[k] ?? 'tend has no equivalent');
  const labels: Record<string, string> = namespace !== undefined ? { namespace: objectName(namespace) } : {};
  return { name: objectName(key), labels, spec, notes, source: { file: at.source.file, line: p.node.line, what: p.path } };
}

// `command` runs through the shell (`bash -c`); an `entrypoint` list takes the shell's place, `command` its last word.
function commandOf(p: FieldReader, shell: Shell): string[] {
  const entry = p.take('entrypoint');
  const command = p.str('command');
  if (entry?.value.t === 'seq') {
    const words = entry.value.items.map((i) => String(i.t === 'scalar' ? i.value : ''));
    return command !== undefined ? [...words, command] : words;
  }
  return [shell.command, shell.argument, command ?? ''];
}

function availabilityOf(p: FieldReader): Spec {
  const entry = p.take('availability');
  if (!entry || entry.value.t !== 'map') return { restartPolicy: 'Never' };
  const a = new FieldReader(entry.value, p.field('availability'), p.ledger);
  const restartEntry = a.take('restart');
  const restart = restartEntry?.value.t === 'scalar' ? String(restartEntry.value.value).replace('-', '_') : 'no';
  if (restart === 'exit_on_failure') p.ledger.drop(restartEntry?.line ?? entry.line, a.field('restart'), 'tend does not stop everything when one program fails; the program is not restarted (Never)');
  const out: Spec = { restartPolicy: RESTART[restart] ?? 'Never' };
  const backoff = a.num('backoff_seconds');
  if (out.restartPolicy !== 'Never') out.backoff = { strategy: 'fixed', initialDelay: durationOf((backoff ?? 1) * 1000), jitter: 0 };
  const max = a.num('max_restarts');
  if (max !== undefined && max > 0) out.maxRestarts = max;
  a.takeIf('exit_on_end', 'false');
  a.drop('exit_on_end', 'tend keeps running the other programs when one ends');
  a.drop('exit_on_skipped', 'tend keeps running the other programs');
  a.rest();
  return out;
}

// process-compose runs `shutdown.command` instead of signalling; tend runs it as preStop, then signals.
function shutdownOf(p: FieldReader, shell: Shell, notes: string[]): Spec {
  const entry = p.take('shutdown');
  if (!entry || entry.value.t !== 'map') return {};
  const s = new FieldReader(entry.value, p.field('shutdown'), p.ledger);
  const command = s.str('command');
  const timeout = s.num('timeout_seconds');
  const signal = signalOf(s);
  s.drop('parent_only', 'tend always signals the whole process group of an instance');
  s.rest();
  const out: Spec = {};
  if (command !== undefined) {
    out.lifecycle = { preStop: { exec: [shell.command, shell.argument, command], ...(timeout !== undefined ? { timeout: durationOf(timeout * 1000) } : {}) } };
    notes.push('shutdown.command runs as a preStop hook; tend then sends the stop signal too (process-compose sends none).');
  }
  out.stop = { signal: signal ?? 'SIGTERM', gracePeriod: durationOf((timeout ?? 10) * 1000) };
  return out;
}

function signalOf(s: FieldReader): string | undefined {
  const entry = s.take('signal');
  if (!entry) return undefined;
  const v: SourceNode = entry.value;
  const name = v.t === 'scalar' && v.value !== null && typeof v.value !== 'boolean' ? signalName(v.value) : undefined;
  if (!name) s.reject(entry, notUsable(v, 'a signal tend stops with (15, 2, 3, 1, 10, 12, 28 or 9)'));
  return name;
}

function dependenciesOf(p: FieldReader, processes: SourceNode): Spec[] {
  const entry = p.take('depends_on');
  if (!entry || entry.value.t !== 'map') return [];
  return entry.value.entries.map((e) => {
    const field = p.field(`depends_on.${e.key}`);
    const d = e.value.t === 'map' ? new FieldReader(e.value, field, p.ledger) : undefined;
    const condition = d?.str('condition') ?? 'process_started';
    d?.rest();
    const mapped = CONDITIONS[condition];
    p.ledger.map(field);
    const always = scalarText(entryOf(entryOf(entryOf(processes, e.key), 'availability'), 'restart')) === 'always';
    if (mapped === 'completed' && always) {
      p.ledger.drop(e.line, field, `"${e.key}" restarts after every exit, so tend never sees it completed; this waits for it to be started`);
      return { name: objectName(e.key), condition: 'started' };
    }
    if (condition === 'process_completed') p.ledger.drop(e.line, field, 'process_completed waits for any exit; tend\'s completed waits for a successful one');
    else if (!mapped) p.ledger.drop(e.line, field, `condition "${condition}": tend waits for started (the nearest) instead`);
    return { name: objectName(e.key), condition: mapped ?? 'started' };
  });
}
