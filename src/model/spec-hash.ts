import { hash } from 'node:crypto';

/**
 * A stable hash of plain data: object keys are sorted, so `{a, b}` and `{b, a}` hash the same.
 * Used for `specHash` (what affects the running program) and `contentHash` (the whole document).
 */
export function specHash(value: unknown): string {
  return hash('sha256', canonicalJson(value)).slice(0, 16);
}

// JSON with sorted keys (by UTF-16 code unit, as `<` compares) and undefined members dropped.
// Built with one string per level, not an array of entries: a bring-up hashes every object
// twice, mostly before the JIT has warmed up.
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i === 0 ? '' : ','}${canonicalJson(value[i])}`;
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined) continue;
    out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
}
