/**
 * Environment blocks of the source formats as tend `env` maps: a map of names to scalars, or a
 * list of `KEY=value` strings. Names tend cannot take and values that are not scalars are
 * reported, not dropped silently.
 */
import { isEnvName, splitAssignment } from './names.ts';
import type { Ledger } from './reader.ts';
import { notUsable } from './reader.ts';
import type { SourceNode } from './tree.ts';

/** The value of a `KEY` with no `=value`; null leaves it out without a report (Compose takes it from the environment). */
export type BareName = (name: string, line: number) => string | null | undefined;

/** Reads `node` (a map or a `KEY=value` list) into `into`; reports what it cannot use. */
export function readEnv(node: SourceNode, field: string, ledger: Ledger, into: Record<string, string>, bare?: BareName): void {
  const put = (name: string, value: string | undefined, line: number, at: string): void => {
    if (!isEnvName(name)) return ledger.drop(line, at, `"${name}" is not an environment variable name tend accepts (letters, digits, _)`);
    const resolved = value ?? bare?.(name, line);
    if (resolved === null) return;
    if (resolved === undefined) return ledger.drop(line, at, `no value given`);
    into[name] = resolved;
    ledger.map(at);
  };
  if (node.t === 'map') {
    for (const e of node.entries) {
      const v = e.value;
      if (v.t === 'scalar') put(e.key, v.value === null ? undefined : String(v.value), e.line, `${field}.${e.key}`);
      else ledger.drop(e.line, `${field}.${e.key}`, notUsable(v, 'a string'));
    }
  } else if (node.t === 'seq') {
    node.items.forEach((item, i) => {
      if (item.t !== 'scalar' || typeof item.value !== 'string') return ledger.drop(item.line, `${field}[${i}]`, notUsable(item, 'a KEY=value string'));
      const [name, value] = splitAssignment(item.value);
      put(name, value, item.line, `${field}[${i}]`);
    });
  } else {
    ledger.drop(node.line, field, notUsable(node, 'a map or a list of KEY=value'));
  }
}
