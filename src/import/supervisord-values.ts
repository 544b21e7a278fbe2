/**
 * supervisord's value syntax: `%(name)s` expansions and `KEY="value",KEY2=value` environment
 * lists. Pure text handling.
 */
import type { SourceNode } from './tree.ts';

/** What `%(name)s` can name in a `[program:x]` section. */
export interface SupervisordVars {
  readonly here: string;
  readonly program_name: string;
  readonly group_name: string;
  readonly process_num: string;
  readonly numprocs: string;
  readonly env: Readonly<Record<string, string>>;
}

/** Expands `%(name)s`, `%(name)d`, `%(name)02d` and `%%`; reports names it does not know through `unknown`. */
export function expandSupervisord(text: string, vars: SupervisordVars, unknown: (why: string) => void): string {
  return text.replace(/%%|%\(([A-Za-z_][A-Za-z0-9_]*)\)(0?)(\d*)([sd])/g, (whole, name?: string, zero?: string, width?: string) => {
    if (whole === '%%') return '%';
    const key = name ?? '';
    const value = key.startsWith('ENV_') ? vars.env[key.slice(4)] : (vars as unknown as Record<string, string | undefined>)[key];
    if (value === undefined || typeof value !== 'string') {
      unknown(`%(${key})s is not known when importing; write the value out`);
      return '';
    }
    return zero === '0' && width ? value.padStart(Number(width), '0') : value;
  });
}

/** `KEY="a b",KEY2=c` as a list of `KEY=value` nodes at `line`. */
export function supervisordEnvironment(text: string, line: number): SourceNode {
  const items: SourceNode[] = [];
  let rest = text.trim();
  while (rest !== '') {
    const m = /^\s*([^=,\s]+)\s*=\s*("((?:[^"\\]|\\.)*)"|'([^']*)'|[^,]*)\s*(?:,|$)/.exec(rest);
    if (!m) break;
    const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4] !== undefined ? m[4] : (m[2] ?? '').trim();
    items.push({ t: 'scalar', line, col: 1, value: `${m[1] ?? ''}=${value}` });
    rest = rest.slice(m[0].length);
  }
  return { t: 'seq', line, col: 1, items };
}
