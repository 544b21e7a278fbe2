/**
 * Every command of `tend` in one table: its summary, its flags (with defaults and help), two
 * examples, and how to run it. The parser builds its options from this table and `--help`
 * prints it, so the help cannot list a flag the parser does not take, or miss one it does.
 *
 * Owns: the table. Must not: parse or run anything itself (main.ts does).
 */
import type { CliContext } from './context.ts';

/** One flag as the parser and the help see it. */
export interface Flag {
  readonly name: string;
  readonly short?: string;
  readonly type: 'string' | 'boolean';
  /** The placeholder shown for a string flag's value (`DURATION`). */
  readonly value?: string;
  /** The default as a person would write it; absent for flags without one. */
  readonly default?: string;
  readonly help: string;
}

export type Run = (ctx: CliContext, values: Record<string, unknown>, positionals: string[]) => Promise<number>;

/** One command. */
export interface CommandSpec {
  readonly summary: string;
  /** Positional arguments, as shown after the command name. */
  readonly args: string;
  readonly flags: readonly Flag[];
  readonly examples: readonly [string, string];
  /** `-o` names an output folder, not a format. */
  readonly outputIsFolder?: boolean;
  readonly run: Run;
}

/** Flags every command takes. */
export const GLOBAL_FLAGS: readonly Flag[] = [
  { name: 'dir', short: 'd', type: 'string', value: 'DIR', default: './manifests', help: 'manifest directory' },
  { name: 'state-dir', type: 'string', value: 'DIR', default: '$TEND_STATE_DIR, else one per manifest dir', help: 'state directory (lock, state file, logs, socket)' },
  { name: 'output', short: 'o', type: 'string', value: 'FORMAT', default: 'table', help: 'table, json or yaml' },
  { name: 'help', short: 'h', type: 'boolean', help: 'show this help' },
];

/** `-o` of the commands that write files: the folder they go to. */
const OUTPUT_FOLDER: Flag = { name: 'output', short: 'o', type: 'string', value: 'DIR', default: 'stdout, as one stream', help: 'folder to write one file per object into' };

/** The global flags as `spec` takes them: `-o` names a folder for the commands that write files. */
export function globalFlagsOf(spec: Pick<CommandSpec, 'outputIsFolder'>): readonly Flag[] {
  return spec.outputIsFolder ? GLOBAL_FLAGS.map((f) => (f.name === 'output' ? OUTPUT_FOLDER : f)) : GLOBAL_FLAGS;
}

const lazy =
  (load: () => Promise<{ run: Run }>): Run =>
  async (ctx, values, positionals) =>
    (await load()).run(ctx, values, positionals);

const timeoutFlag = (fallback: string, help: string): Flag => ({ name: 'timeout', type: 'string', value: 'DURATION', default: fallback, help });

function operator(verb: 'start' | 'stop' | 'restart', what: string): CommandSpec {
  return {
    summary: `${what} (an imperative override, shown by get until the manifest changes)`,
    args: 'KIND/NAME | NAME',
    flags: [],
    examples: [`tend ${verb} web`, `tend ${verb} job/backup`],
    run: async (ctx, _values, positionals) => (await import('./commands/operate.ts')).run(ctx, verb, positionals),
  };
}

/** The commands, in the order `tend --help` lists them. */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  up: {
    summary: 'run the controller in the foreground: watch, reconcile, supervise, serve the API',
    args: '',
    flags: [
      { name: 'listen', type: 'string', value: 'HOST:PORT', help: 'also serve the API and the web dashboard over TCP (token in <state-dir>/token)' },
      { name: 'quiet', short: 'q', type: 'boolean', help: 'print no line per action' },
      { name: 'leave-running', type: 'boolean', help: 'on SIGINT/SIGTERM exit and leave the programs running for the next controller to adopt (tend down stops them)' },
    ],
    examples: ['tend up', 'tend up -d ./deploy --listen 127.0.0.1:7070'],
    run: lazy(() => import('./commands/up.ts')),
  },
  down: {
    summary: 'stop every managed program (reverse dependency order, hooks, grace periods) and the controller',
    args: '',
    flags: [timeoutFlag('5m', 'wait this long for a running controller to finish (exit 1)')],
    examples: ['tend down', 'tend down -d /srv/tend/manifests --timeout 10m'],
    run: lazy(() => import('./commands/down.ts')),
  },
  reconcile: {
    summary: 'one pass: observe, plan, act, exit',
    args: '--once',
    flags: [
      { name: 'once', type: 'boolean', help: 'run one pass (required; tend up runs the loop)' },
      { name: 'wait', type: 'boolean', help: 'wait until every object is converged' },
      timeoutFlag('2m', 'give up waiting after this long (exit 1)'),
      { name: 'dry-run', type: 'boolean', help: 'print the plan, change nothing' },
    ],
    examples: ['tend reconcile --once --wait', 'tend reconcile --once --dry-run'],
    run: lazy(() => import('./commands/reconcile.ts')),
  },
  validate: {
    summary: 'check manifests: schema, names, dependencies, cycles',
    args: '[FILES...]',
    flags: [],
    examples: ['tend validate', 'tend validate manifests/web.yaml'],
    run: lazy(() => import('./commands/validate.ts')),
  },
  diff: {
    summary: 'what a reconcile would do now (exit 1 when something would change)',
    args: '',
    flags: [],
    examples: ['tend diff', 'tend diff -o json'],
    run: lazy(() => import('./commands/diff.ts')),
  },
  get: {
    summary: 'list objects and their instances',
    args: '[KIND[/NAME] | NAME]',
    flags: [
      { name: 'selector', short: 'l', type: 'string', value: 'K=V,...', help: 'only objects whose labels match' },
      { name: 'watch', short: 'w', type: 'boolean', help: 'print again every second' },
    ],
    examples: ['tend get', 'tend get process -l app=shop -o json'],
    run: lazy(() => import('./commands/get.ts')),
  },
  describe: {
    summary: 'details of one object: spec, instances, probes, circuit, failures, events',
    args: 'KIND/NAME | NAME',
    flags: [],
    examples: ['tend describe web', 'tend describe job/backup -o yaml'],
    run: lazy(() => import('./commands/describe.ts')),
  },
  logs: {
    summary: "an instance's or object's stdout and stderr",
    args: 'NAME | INSTANCE',
    flags: [
      { name: 'follow', short: 'f', type: 'boolean', help: 'keep printing new lines' },
      { name: 'tail', type: 'string', value: 'N', default: 'all', help: 'only the last N lines' },
      { name: 'since', type: 'string', value: 'DURATION', help: 'only files written in the last DURATION' },
      { name: 'stream', type: 'string', value: 'STREAM', default: 'both', help: 'stdout or stderr' },
    ],
    examples: ['tend logs web -f', 'tend logs web-1 --tail 50 --stream stderr'],
    run: lazy(() => import('./commands/logs.ts')),
  },
  events: {
    summary: 'the event stream',
    args: '',
    flags: [
      { name: 'follow', short: 'f', type: 'boolean', help: 'keep printing new events' },
      { name: 'for', type: 'string', value: 'KIND/NAME', help: 'only the events of one object' },
    ],
    examples: ['tend events -f', 'tend events --for web -o json'],
    run: lazy(() => import('./commands/events.ts')),
  },
  top: {
    summary: 'live resource use per instance (keys: s sort, / filter, arrows and Enter select, q quit)',
    args: '',
    flags: [{ name: 'sort', type: 'string', value: 'KEY', default: 'cpu', help: 'cpu, mem or name' }],
    examples: ['tend top', 'tend top --sort mem'],
    run: lazy(() => import('./commands/top.ts')),
  },
  dashboard: {
    summary: "serve the running controller's web dashboard on 127.0.0.1 and print its URL",
    args: '',
    flags: [{ name: 'port', type: 'string', value: 'PORT', default: '0 (any free port)', help: 'port to listen on' }],
    examples: ['tend dashboard', 'tend dashboard --port 7070'],
    run: lazy(() => import('./commands/dashboard.ts')),
  },
  lease: {
    summary: 'lease an idle worker of a pool',
    args: 'POOL',
    flags: [timeoutFlag('30s', 'wait this long for a worker (exit 1)')],
    examples: ['tend lease render', 'tend lease pool/render --timeout 5s -o json'],
    run: lazy(() => import('./commands/lease.ts')),
  },
  release: {
    summary: 'release a lease',
    args: 'LEASE',
    flags: [],
    examples: ['tend release 3f9c2a', 'tend release "$(tend lease render -o json | jq -r .id)"'],
    run: async (ctx, _values, positionals) => (await import('./commands/lease.ts')).runRelease(ctx, positionals),
  },
  render: {
    summary: 'the manifests as Kubernetes objects (-o names an output folder)',
    args: 'kubernetes',
    flags: [
      { name: 'target', type: 'string', value: 'TARGET', default: 'kubernetes', help: 'what to render for' },
      { name: 'namespace', type: 'string', value: 'NS', help: 'namespace of the objects' },
      { name: 'image', type: 'string', value: 'IMAGE', help: 'container image where a manifest names none' },
      { name: 'wait-image', type: 'string', value: 'IMAGE', help: 'image of the init containers that wait for dependencies' },
      { name: 'strict', type: 'boolean', help: 'fail on anything Kubernetes has no field for' },
    ],
    examples: ['tend render kubernetes --image node:20', 'tend render kubernetes -o k8s/ --namespace shop'],
    outputIsFolder: true,
    run: lazy(() => import('./commands/render.ts')),
  },
  import: {
    summary: 'write manifests from PM2, Procfile, Compose, process-compose or supervisord files (-o names a folder)',
    args: 'pm2|procfile|compose|process-compose|supervisord FILE...',
    flags: [
      { name: 'strict', type: 'boolean', help: 'fail on anything that cannot be carried over' },
      { name: 'env', type: 'string', value: 'NAME', help: 'the environment section to use (PM2 env_NAME)' },
    ],
    examples: ['tend import pm2 ecosystem.config.js', 'tend import compose docker-compose.yml -o manifests/'],
    outputIsFolder: true,
    run: lazy(() => import('./commands/import.ts')),
  },
  start: operator('start', 'start an object that was stopped'),
  stop: operator('stop', 'stop an object and keep it stopped'),
  restart: operator('restart', 'restart every instance of an object'),
  init: {
    summary: 'write a commented starter manifest directory that validates',
    args: '',
    flags: [{ name: 'force', type: 'boolean', help: 'write even when the directory has manifests' }],
    examples: ['tend init', 'tend init -d ./deploy'],
    run: lazy(() => import('./commands/init.ts')),
  },
  completion: {
    summary: 'print a shell completion script',
    args: 'bash|zsh|fish',
    flags: [],
    examples: ['source <(tend completion bash)', 'tend completion fish > ~/.config/fish/completions/tend.fish'],
    run: lazy(() => import('./commands/completion.ts')),
  },
  service: {
    summary: 'write a systemd unit that runs tend up at boot',
    args: 'install',
    flags: [
      { name: 'user', type: 'string', value: 'USER', default: 'the current user', help: 'account the controller runs as' },
      { name: 'unit-dir', type: 'string', value: 'DIR', default: '/etc/systemd/system (root), else ~/.config/systemd/user', help: 'where the unit file goes' },
      { name: 'print', type: 'boolean', help: 'print the unit instead of writing it' },
    ],
    examples: ['sudo tend service install -d /srv/tend/manifests --user tend', 'tend service install --print'],
    run: lazy(() => import('./commands/service.ts')),
  },
};

/** The parser's options for a command: its flags and the global ones. */
export function parserOptions(spec: CommandSpec): Record<string, { type: 'string' | 'boolean'; short?: string }> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const f of [...globalFlagsOf(spec), ...spec.flags]) options[f.name] = f.short ? { type: f.type, short: f.short } : { type: f.type };
  return options;
}

function flagLines(flags: readonly Flag[]): string[] {
  const left = flags.map((f) => `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.value ? ` ${f.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return flags.map((f, i) => `  ${(left[i] ?? '').padEnd(width)}${f.help}${f.default ? ` (default: ${f.default})` : ''}`);
}

/** `tend NAME --help`. */
export function commandHelp(name: string, spec: CommandSpec): string {
  const own = spec.flags.length ? ['', 'options:', ...flagLines(spec.flags)] : [];
  return [
    `usage: tend ${name}${spec.args ? ` ${spec.args}` : ''}${spec.flags.length ? ' [options]' : ''}`,
    '',
    spec.summary,
    ...own,
    '',
    'global options:',
    ...flagLines(globalFlagsOf(spec)),
    '',
    'examples:',
    ...spec.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

/** `tend --help`. */
export function overviewHelp(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const lines = names.map((n) => `  ${n.padEnd(width)}${COMMANDS[n]?.summary ?? ''}`);
  return [
    'usage: tend COMMAND [options]        tend COMMAND --help for its options and examples',
    '',
    'commands:',
    ...lines,
    '',
    'global options:',
    ...flagLines(GLOBAL_FLAGS),
    '  -v, --version                  print the version',
    '',
    'examples:',
    '  tend init && tend up',
    '  tend get -o json',
    '',
  ].join('\n');
}
