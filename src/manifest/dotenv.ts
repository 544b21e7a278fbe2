/**
 * The dotenv format of `envFrom` files. Pure text parsing; reading the files is the loader's job.
 */

/** Entries in file order (a later duplicate wins when merged), or the first bad line. */
export type DotenvResult =
  | { readonly ok: true; readonly entries: readonly (readonly [string, string])[] }
  | { readonly ok: false; readonly line: number; readonly message: string };

/**
 * Parses a dotenv file: `NAME=value` lines, an optional `export ` prefix, `#` comments (whole
 * lines, or after an unquoted value and a space), `'...'` taken literally and `"..."` with
 * `\n`, `\r`, `\t` escapes. Multi-line values are not supported.
 * @example parseDotenv('A=1\nexport B="x y"') // { ok: true, entries: [['A', '1'], ['B', 'x y']] }
 */
export function parseDotenv(text: string): DotenvResult {
  const entries: [string, string][] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) return { ok: false, line: index + 1, message: 'expected NAME=value' };
    const value = dotenvValue(match[2] ?? '');
    if (value === undefined) return { ok: false, line: index + 1, message: 'unterminated or malformed quoted value' };
    // A program's environment cannot hold NUL; the value is a secret, so it is not shown.
    if (value.includes('\0')) return { ok: false, line: index + 1, message: 'the value contains a NUL character' };
    entries.push([match[1] ?? '', value]);
  }
  return { ok: true, entries };
}

function dotenvValue(text: string): string | undefined {
  const quote = text[0];
  if (quote !== '"' && quote !== "'") return text.replace(/\s+#.*$/, '').trim();
  const match = quote === "'" ? /^'([^']*)'\s*(?:#.*)?$/.exec(text) : /^"((?:[^"\\]|\\.)*)"\s*(?:#.*)?$/.exec(text);
  if (!match) return undefined;
  const body = match[1] ?? '';
  if (quote === "'") return body;
  const escapes: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t' };
  return body.replace(/\\(.)/g, (_, c: string) => escapes[c] ?? c);
}
