/** The object a command's argument names, checked against the objects that exist now. */
import type { CliContext } from './context.ts';
import { UsageError } from './context.ts';
import { fetchSummaries } from './commands/get.ts';
import { resolveObject } from './resolve-target.ts';

/**
 * The key `target` names (`web`, `process/web`); undefined after printing why when no object
 * matches (the caller exits 1). `keys` are the known objects when the caller has them.
 */
export async function targetKey(ctx: CliContext, target: string | undefined, keys?: readonly string[]): Promise<string | undefined> {
  if (!target) throw new UsageError('expected an object: NAME or KIND/NAME, e.g. web or process/web');
  const known = keys ?? (await fetchSummaries(ctx)).map((s) => s.key);
  const resolved = resolveObject(target, known);
  if (resolved.ok) return resolved.key;
  process.stderr.write(`tend: ${resolved.message}\n`);
  return undefined;
}
