/** The object a command's argument names, checked against the objects that exist now. */
import type { CliContext } from './context.ts';
import { UsageError } from './context.ts';
import { fetchSummaries } from './commands/get.ts';
import { resolveObject } from './resolve-target.ts';
import { keyOf } from './views.ts';

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

/**
 * What `attempt` gives for the object `target` names, with its key. `KIND/NAME` is tried directly,
 * one request for that object alone, rather than the whole list first to check the name; when
 * that finds nothing, or `target` is a bare name, the name is looked up as `targetKey` does (whose
 * message says what exists) and `attempt` runs for the key found. Undefined after printing why.
 */
export async function withTarget<T>(ctx: CliContext, target: string | undefined, attempt: (key: string) => Promise<T | undefined>): Promise<{ readonly key: string; readonly found: T | undefined } | undefined> {
  if (target?.includes('/')) {
    const key = keyOf(target);
    const found = await attempt(key);
    if (found !== undefined) return { key, found };
  }
  const key = await targetKey(ctx, target);
  return key === undefined ? undefined : { key, found: await attempt(key) };
}
