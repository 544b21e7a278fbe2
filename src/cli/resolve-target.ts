/**
 * Which object a command-line argument names: `process/web`, `processes/web`, or a bare `web`
 * when one object has that name. An unknown name gets the nearest known one as a suggestion.
 * Pure: the caller passes the known object keys.
 */
import { didYouMean } from '../manifest/diagnostics.ts';
import { keyOf } from './views.ts';

export type Resolution = { readonly ok: true; readonly key: string } | { readonly ok: false; readonly message: string };

/** Resolves `target` against the known object keys (`process/web`, `job/backup`, ...). */
export function resolveObject(target: string, keys: readonly string[]): Resolution {
  if (target.includes('/')) {
    const key = keyOf(target);
    return keys.includes(key) ? { ok: true, key } : { ok: false, message: unknown(key, keys) };
  }
  const named = keys.filter((k) => nameOf(k) === target);
  if (named.length === 1 && named[0]) return { ok: true, key: named[0] };
  if (named.length > 1) return { ok: false, message: `"${target}" names ${named.join(' and ')}; say which, e.g. ${named[0] ?? ''}` };
  return { ok: false, message: unknown(target, keys) };
}

function nameOf(key: string): string {
  return key.slice(key.indexOf('/') + 1);
}

function unknown(what: string, keys: readonly string[]): string {
  const name = what.includes('/') ? nameOf(what) : what;
  const sameName = keys.filter((k) => nameOf(k) === name);
  if (sameName.length > 0) return `unknown object ${what}; there is ${sameName.join(', ')}`;
  const guess = didYouMean(what, keys) ?? didYouMean(name, keys.map(nameOf));
  const hint = guess ? ` (did you mean "${guess}"?)` : keys.length === 0 ? ' (no objects are defined)' : '';
  return `unknown object ${what}${hint}`;
}
