/**
 * `tend completion bash|zsh|fish`: prints a completion script built from the command table, so
 * it offers exactly the commands and flags the parser takes. Object names are completed from
 * `tend get -o json` at the time of completion.
 */
import { UsageError, type CliContext } from '../context.ts';
import { completionScript, SHELLS, type Shell } from '../render/completion.ts';

/** Runs `tend completion`. */
export function run(_ctx: CliContext, _values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const shell = positionals[0] as Shell | undefined;
  if (!shell || !SHELLS.includes(shell)) throw new UsageError(`completion takes one of ${SHELLS.join(', ')} (got "${shell ?? ''}")`);
  process.stdout.write(completionScript(shell));
  return Promise.resolve(0);
}
