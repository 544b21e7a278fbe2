/**
 * supervisord.conf (with the files its `[include]` names) to tend Processes, one per
 * `[program:x]`. Semantics carried over:
 * - `autorestart` with `exitcodes`: `true` is Always, `false` Never, `unexpected` (the default)
 *   OnFailure when 0 is the expected code; tend cannot tell other codes apart (reported).
 * - `startsecs` and `startretries`: a start that ends before `startsecs` is a failed start,
 *   retried after 1 s, 2 s, 3 s ... (linear backoff) up to `startretries` times, then FATAL;
 *   in tend: `maxRestarts` with `backoff.resetAfter: startsecs`, so a run that lasts resets it.
 * - `priority`: lower starts first and stops last: each program depends (`started`) on the
 *   programs of the next lower priority, and tend stops dependents first.
 * - `numprocs` is `replicas`; `autostart=false` is 0 replicas; `[group:x]` a `group` label.
 * - `%(here)s`, `%(program_name)s`, `%(group_name)s`, `%(process_num)d`, `%(numprocs)d`,
 *   `%(ENV_X)s` are expanded as supervisord expands them when it reads the file.
 */
import { readEnv } from './env-values.ts';
import { parseIni, type IniSection } from './ini.ts';
import { manifestPath, objectName } from './names.ts';
import { FieldReader, Ledger } from './reader.ts';
import { splitWords } from './shell-words.ts';
import { entryOf, scalarText, type SourceNode } from './tree.ts';
import type { ImportContext, ImportedObject, ImportResult, SourceText } from './types.ts';
import { lineOf, logsOf, restartOf, stopOf } from './supervisord-policies.ts';
import { supervisordEnvironment, expandSupervisord, type SupervisordVars } from './supervisord-values.ts';

type Spec = Record<string, unknown>;

const DEFAULT_PRIORITY = 999;

const KNOWN_DROPS: Readonly<Record<string, string>> = {
  process_name: 'tend names instances <name>-0, <name>-1, ...',
  numprocs_start: 'tend numbers instances from 0 (TEND_REPLICA)',
  umask: 'tend starts programs with its own umask; set it in the command (sh -c "umask 022; exec ...")',
  redirect_stderr: 'tend keeps stdout and stderr apart; `tend logs NAME` shows both',
  stdout_logfile: 'tend writes stdout to its state dir; read it with `tend logs NAME`',
  stderr_logfile: 'tend writes stderr to its state dir; read it with `tend logs NAME`',
  stdout_capture_maxbytes: 'tend has no capture mode',
  stderr_capture_maxbytes: 'tend has no capture mode',
  stdout_events_enabled: 'tend has no event listeners; follow `tend events`',
  stderr_events_enabled: 'tend has no event listeners; follow `tend events`',
  stdout_syslog: 'tend writes program output to files',
  stderr_syslog: 'tend writes program output to files',
  serverurl: 'tend programs reach the controller through its socket, not supervisord\'s',
};

/** The `files` patterns of the `[include]` section of `source`, relative to its folder. */
export function supervisordIncludes(source: SourceText): string[] {
  const include = parseIni(source.text).sections.find((s) => s.name === 'include');
  const files = include?.entries.find((e) => e.key === 'files')?.value ?? '';
  return files.split(/\s+/).filter((f) => f !== '');
}

interface Program {
  readonly name: string;
  readonly reader: FieldReader;
  readonly source: SourceText;
  readonly section: IniSection;
}

/** Imports a supervisord.conf and its included files (the main file first). */
export function importSupervisord(sources: readonly SourceText[], context: ImportContext): ImportResult {
  const ledgers = sources.map((s) => new Ledger(s.file));
  const programs: Program[] = [];
  const groups = new Map<string, { group: string; priority: number | undefined }>();
  sources.forEach((source, i) => {
    const ledger = ledgers[i] ?? new Ledger(source.file);
    const { sections, bad } = parseIni(source.text);
    for (const b of bad) ledger.drop(b.line, `line ${b.line}`, 'not a [section] or key = value line');
    for (const section of sections) readSection(section, { source, ledger, programs, groups });
  });
  const imported = programs.flatMap((p) => programOf(p, groups.get(p.name), context) ?? []);
  const objects = withPriorityOrder(imported);
  return { objects, drops: ledgers.flatMap((l) => l.drops), mapped: ledgers.flatMap((l) => l.mapped) };
}

interface SectionContext {
  readonly source: SourceText;
  readonly ledger: Ledger;
  readonly programs: Program[];
  readonly groups: Map<string, { group: string; priority: number | undefined }>;
}

function readSection(section: IniSection, at: SectionContext): void {
  const reader = new FieldReader(sectionNode(section), `[${section.name}]`, at.ledger);
  const [kind, name] = section.name.split(':');
  if (kind === 'program' && name) return void at.programs.push({ name, reader, source: at.source, section });
  if (kind === 'group' && name) return readGroup(name, reader, at.groups);
  if (kind === 'include') {
    reader.take('files');
    return reader.rest();
  }
  const why = kind === 'eventlistener' ? 'tend has no event listeners; follow `tend events -f` or GET /v1/events?follow=1'
    : kind === 'fcgi-program' ? 'tend does not open sockets for programs'
      : 'a setting of supervisord itself; tend has its own (see `tend up --help`)';
  reader.rest(() => why);
}

function readGroup(name: string, reader: FieldReader, groups: Map<string, { group: string; priority: number | undefined }>): void {
  const members = (reader.str('programs') ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  const priority = reader.num('priority');
  reader.rest();
  for (const m of members) groups.set(m, { group: name, priority });
}

function sectionNode(section: IniSection): Extract<SourceNode, { t: 'map' }> {
  return {
    t: 'map',
    line: section.line,
    col: 1,
    entries: section.entries.map((e) => ({ key: e.key, line: e.line, value: { t: 'scalar', line: e.line, col: 1, value: e.value } })),
  };
}

interface ImportedProgram {
  readonly object: ImportedObject;
  readonly priority: number;
  readonly runs: boolean;
}

function programOf(p: Program, group: { group: string; priority: number | undefined } | undefined, context: ImportContext): ImportedProgram | undefined {
  const r = p.reader;
  const notes: string[] = [];
  const numprocs = r.num('numprocs') ?? 1;
  const start = Number(scalarText(entryOf(r.node, 'numprocs_start')) ?? 0);
  const vars: SupervisordVars = { here: p.source.dir, program_name: p.name, group_name: group?.group ?? p.name, process_num: String(start), numprocs: String(numprocs), env: context.env };
  const expand = (key: string): string | undefined => {
    const text = r.str(key);
    return text === undefined ? undefined : expandSupervisord(text, vars, (why) => r.ledger.drop(lineOf(r, key), r.field(key), why));
  };
  const command = expand('command');
  if (command === undefined) {
    r.rest(() => 'its program has no command, so it was not imported');
    r.ledger.drop(r.node.line, r.path, 'no command: supervisord refuses such a program');
    return undefined;
  }
  const spec: Spec = { command: commandOf(r, command, numprocs) };
  const directory = expand('directory');
  if (directory !== undefined) spec.workingDir = manifestPath(context, p.source.dir, directory);
  else notes.push('no directory: supervisord would run it in its own working directory; tend runs it in this file\'s folder.');
  const environment = expand('environment');
  if (environment !== undefined) {
    const env: Record<string, string> = {};
    readEnv(supervisordEnvironment(environment, lineOf(r, 'environment')), r.field('environment'), r.ledger, env);
    if (Object.keys(env).length > 0) spec.env = env;
  }
  const user = expand('user');
  if (user !== undefined) spec.user = user;
  const autostart = r.bool('autostart') !== false;
  if (!autostart) notes.push(`autostart=false: 0 replicas; set replicas to ${numprocs} to start it.`);
  if (!autostart || numprocs !== 1) spec.replicas = autostart ? numprocs : 0;
  Object.assign(spec, restartOf(r), stopOf(r), logsOf(r));
  const priority = r.num('priority') ?? group?.priority ?? DEFAULT_PRIORITY;
  r.rest((k) => KNOWN_DROPS[k] ?? 'tend has no equivalent');
  const labels: Record<string, string> = group ? { group: objectName(group.group) } : {};
  const object: ImportedObject = { name: objectName(p.name), labels, spec, notes, source: { file: p.source.file, line: p.section.line, what: `[${p.section.name}]` } };
  return { object, priority, runs: autostart && numprocs > 0 };
}

// supervisord splits `command` like a shell (shlex) and runs it without one.
function commandOf(r: FieldReader, command: string, numprocs: number): string[] {
  if (numprocs > 1 && /%\(process_num\)/.test(scalarText(entryOf(r.node, 'command')) ?? '')) {
    r.ledger.drop(lineOf(r, 'command'), r.field('command'), 'process_num differs per process in supervisord; every tend instance runs one command, told its number by TEND_REPLICA');
  }
  return splitWords(command) ?? [command];
}



// supervisord starts lower priorities first: each program waits for those of the next lower priority that run.
function withPriorityOrder(programs: readonly ImportedProgram[]): ImportedObject[] {
  const levels = [...new Set(programs.filter((p) => p.runs).map((p) => p.priority))].sort((a, b) => a - b);
  return programs.map((p) => {
    const below = levels.filter((l) => l < p.priority).pop();
    if (below === undefined) return p.object;
    const dependsOn = programs.filter((q) => q.runs && q.priority === below).map((q) => ({ name: q.object.name, condition: 'started' }));
    const note = `priority ${p.priority}: starts after priority ${below} (${dependsOn.map((d) => d.name).join(', ')}) and stops before it.`;
    return { ...p.object, spec: { ...p.object.spec, dependsOn }, notes: [...p.object.notes, note] };
  });
}
