/**
 * `tend` command line: parses global options, picks the command, maps outcomes to exit codes
 * (0 ok, 1 drift / not converged / failed, 2 invalid manifests, usage or a state dir that cannot
 * be trusted). Exit codes are set here and in the commands only.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TendError } from '../model/errors.ts';
import { stateDirProblem } from '../platform/state-dir.ts';
import { createContext, UsageError, type CliContext } from './context.ts';
import { faultMessage } from './fault-message.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly options: Options;
  readonly run: (ctx: CliContext, values: Record<string, unknown>, positionals: string[]) => Promise<number>;
  /** `-o` names an output folder, not a format. */
  readonly outputIsFolder?: true;
}

const GLOBAL: Options = {
  dir: { type: 'string', short: 'd' },
  'state-dir': { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
};

const lazy =
  (load: () => Promise<{ run: Command['run'] }>): Command['run'] =>
  async (ctx, values, positionals) =>
    (await load()).run(ctx, values, positionals);

const COMMANDS: Readonly<Record<string, Command>> = {
  up: {
    summary: 'run the controller in the foreground',
    usage: 'tend up [--listen 127.0.0.1:PORT]',
    options: { listen: { type: 'string' } },
    run: lazy(() => import('./commands/up.ts')),
  },
  reconcile: {
    summary: 'one pass: observe, plan, act, exit',
    usage: 'tend reconcile --once [--wait] [--timeout 2m] [--dry-run]',
    options: { once: { type: 'boolean' }, wait: { type: 'boolean' }, timeout: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    run: lazy(() => import('./commands/reconcile.ts')),
  },
  validate: {
    summary: 'check manifests (schema and semantics)',
    usage: 'tend validate [FILES...]',
    options: {},
    run: lazy(() => import('./commands/validate.ts')),
  },
  diff: {
    summary: 'what a reconcile would do now',
    usage: 'tend diff',
    options: {},
    run: lazy(() => import('./commands/diff.ts')),
  },
  get: {
    summary: 'list objects and their instances',
    usage: 'tend get [KIND[/NAME]] [-l key=value] [-w]',
    options: { selector: { type: 'string', short: 'l' }, watch: { type: 'boolean', short: 'w' } },
    run: lazy(() => import('./commands/get.ts')),
  },
  describe: {
    summary: 'details of one object',
    usage: 'tend describe KIND/NAME',
    options: {},
    run: lazy(() => import('./commands/describe.ts')),
  },
  logs: {
    summary: "an instance's stdout and stderr",
    usage: 'tend logs NAME[-i] [-f] [--tail N] [--since 10m] [--stream stdout|stderr]',
    options: {
      follow: { type: 'boolean', short: 'f' },
      tail: { type: 'string' },
      since: { type: 'string' },
      stream: { type: 'string' },
    },
    run: lazy(() => import('./commands/logs.ts')),
  },
  events: {
    summary: 'the event stream',
    usage: 'tend events [-f] [--for KIND/NAME]',
    options: { follow: { type: 'boolean', short: 'f' }, for: { type: 'string' } },
    run: lazy(() => import('./commands/events.ts')),
  },
  top: {
    summary: 'live resource use per instance',
    usage: 'tend top [--sort cpu|mem|name]',
    options: { sort: { type: 'string' } },
    run: lazy(() => import('./commands/top.ts')),
  },
  lease: {
    summary: 'lease an idle worker of a pool',
    usage: 'tend lease POOL [--timeout 30s] [-o json]',
    options: { timeout: { type: 'string' } },
    run: lazy(() => import('./commands/lease.ts')),
  },
  release: {
    summary: 'release a lease',
    usage: 'tend release LEASE',
    options: {},
    run: async (ctx, _values, positionals) => (await import('./commands/lease.ts')).runRelease(ctx, positionals),
  },
  render: {
    summary: 'the manifests as Kubernetes objects',
    usage: 'tend render kubernetes [-o OUTDIR] [--namespace NS] [--image IMAGE] [--wait-image IMAGE] [--strict]',
    options: { target: { type: 'string' }, namespace: { type: 'string' }, image: { type: 'string' }, 'wait-image': { type: 'string' }, strict: { type: 'boolean' } },
    outputIsFolder: true,
    run: lazy(() => import('./commands/render.ts')),
  },
  import: {
    summary: 'write manifests from PM2, Procfile, Compose, process-compose or supervisord files',
    usage: 'tend import pm2|procfile|compose|process-compose|supervisord FILE... [-o DIR] [--strict] [--env NAME]',
    options: { strict: { type: 'boolean' }, env: { type: 'string' } },
    outputIsFolder: true,
    run: lazy(() => import('./commands/import.ts')),
  },
  start: operator('start'),
  stop: operator('stop'),
  restart: operator('restart'),
};

function operator(verb: 'start' | 'stop' | 'restart'): Command {
  return {
    summary: `${verb} an object (imperative override)`,
    usage: `tend ${verb} KIND/NAME`,
    options: {},
    run: async (ctx, _values, positionals) => (await import('./commands/operate.ts')).run(ctx, verb, positionals),
  };
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(helpText());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write('tend 0.1.0\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) return usageError(`unknown command "${name}"`, helpText());
  try {
    const { values, positionals } = parseArgs({ args: [...rest], options: { ...GLOBAL, ...command.options }, allowPositionals: true, strict: true });
    if (values.help) {
      process.stdout.write(`usage: ${command.usage}\n\n${command.summary}\n${globalHelp()}`);
      return 0;
    }
    const { output: _output, ...formatless } = values;
    const ctx = createContext(command.outputIsFolder ? formatless : values);
    const unsafe = name === 'validate' ? undefined : stateDirProblem(ctx.stateDir);
    if (unsafe) return refuse(unsafe);
    return await command.run(ctx, values, positionals);
  } catch (error) {
    if (error instanceof TendError && error.code === 'StateDirInsecure') return refuse(error.message);
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      return usageError((error as Error).message, `usage: ${command.usage}\n`);
    }
    const fault = faultMessage(error);
    if (fault === undefined) throw error;
    process.stderr.write(`tend: ${fault}\n`);
    return 1;
  }
}

// A state dir others could write is never used: its token, socket and state could be planted.
function refuse(problem: string): number {
  process.stderr.write(`tend: ${problem}\n`);
  return 2;
}

function usageError(message: string, usage: string): number {
  process.stderr.write(`tend: ${message}\n${usage}`);
  return 2;
}

function globalHelp(): string {
  return '\nglobal options:\n  -d, --dir DIR        manifest directory (default ./manifests)\n  --state-dir DIR      state directory (default $TEND_STATE_DIR, else per manifest dir)\n  -o, --output FORMAT  json or yaml instead of a table\n';
}

function helpText(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: tend COMMAND [options]\n\ncommands:\n${lines.join('\n')}\n${globalHelp()}`;
}
