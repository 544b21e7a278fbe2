/**
 * What every command shares: the manifest dir, the state dir and the output format, resolved once
 * from the global options.
 */
import { resolve } from 'node:path';
import { resolveStateDir } from '../platform/state-dir.ts';

export type OutputFormat = 'table' | 'json' | 'yaml';

export interface CliContext {
  /** The manifest directory as given, made absolute. */
  readonly dir: string;
  readonly stateDir: string;
  readonly output: OutputFormat;
  readonly color: boolean;
  readonly asRoot: boolean;
}

/** Thrown for bad command lines; printed with usage and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Builds the context from the global option values. */
export function createContext(values: { dir?: string; 'state-dir'?: string; output?: string }): CliContext {
  const output = values.output ?? 'table';
  if (output !== 'table' && output !== 'json' && output !== 'yaml') {
    throw new UsageError(`-o/--output must be one of json, yaml (got "${output}")`);
  }
  const dir = resolve(values.dir ?? 'manifests');
  return {
    dir,
    stateDir: resolveStateDir(dir, values['state-dir'], process.env),
    output,
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    asRoot: process.getuid?.() === 0,
  };
}
