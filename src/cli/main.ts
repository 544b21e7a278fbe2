/**
 * `tend` command line: parses global options, picks the command, maps outcomes to exit codes
 * (0 ok, 1 drift / not converged / failed, 2 invalid manifests or usage). Exit codes are set here
 * and in the commands only. The commands and their flags are in command-table.ts.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stateDirProblem } from '../platform/state-dir.ts';
import { createContext } from './context.ts';
import { faultMessage } from './fault-message.ts';
import { COMMANDS, commandHelp, overviewHelp, parserOptions } from './command-table.ts';
import { didYouMean } from '../manifest/diagnostics.ts';

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(topic && rest[0] ? commandHelp(rest[0], topic) : overviewHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`tend ${packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    const guess = didYouMean(name, Object.keys(COMMANDS));
    return usageError(`unknown command "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}`, overviewHelp());
  }
  try {
    const { values, positionals } = parseArgs({ args: [...rest], options: parserOptions(command), allowPositionals: true, strict: true });
    if (values.help) {
      process.stdout.write(commandHelp(name, command));
      return 0;
    }
    const { output: _output, ...formatless } = values;
    const ctx = createContext(command.outputIsFolder ? formatless : values);
    const unsafe = name === 'validate' || name === 'init' || name === 'completion' ? undefined : stateDirProblem(ctx.stateDir);
    if (unsafe) return refuse(unsafe);
    return await command.run(ctx, values, positionals);
  } catch (error) {
    if (isNamed(error, 'TendError') && error.code === 'StateDirInsecure') return refuse(error.message);
    if (isNamed(error, 'UsageError') || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      return usageError((error as Error).message, `usage: tend ${name} ${command.args} (tend ${name} --help for more)\n`);
    }
    const fault = faultMessage(error);
    if (fault === undefined) throw error;
    process.stderr.write(`tend: ${fault}\n`);
    return 1;
  }
}

/**
 * An error of the class named `name` (TendError and UsageError set it): by name, not
 * `instanceof`, since the offline reader (dist/cli/offline.cjs) carries its own copy of them.
 */
function isNamed(error: unknown, name: 'TendError' | 'UsageError'): error is Error & { readonly code?: string } {
  return error instanceof Error && error.name === name;
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

function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
