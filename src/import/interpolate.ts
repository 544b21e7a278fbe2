/**
 * Compose variable interpolation over a source tree: `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`, `${VAR:?err}`, `${VAR?err}`, `$VAR`, and `$$`
 * for a literal `$`. Values come from the environment given (the shell, then the project's
 * `.env`), as `docker compose` resolves them when it loads the file.
 */
import type { SourceNode } from './tree.ts';

/** Interpolates every string scalar of `node` (keys stay as written). */
export function interpolateTree(node: SourceNode, env: Readonly<Record<string, string>>): SourceNode {
  switch (node.t) {
    case 'scalar':
      return typeof node.value === 'string' ? { ...node, value: interpolate(node.value, env) } : node;
    case 'seq':
      return { ...node, items: node.items.map((i) => interpolateTree(i, env)) };
    case 'map':
      return { ...node, entries: node.entries.map((e) => ({ ...e, value: interpolateTree(e.value, env) })) };
    default:
      return node;
  }
}

/** One string interpolated. An unset variable without a default is empty, as in Compose. */
export function interpolate(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = braced ?? bare ?? '';
    const value = Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined;
    const set = op?.startsWith(':') ? value !== undefined && value !== '' : value !== undefined;
    const operator = op?.replace(':', '');
    if (operator === '-') return set ? (value ?? '') : interpolate(arg ?? '', env);
    if (operator === '+') return set ? interpolate(arg ?? '', env) : '';
    return value ?? '';
  });
}
