/**
 * The `user:` rule of a manifest file tend does not trust with every account: `user:` may name
 * another account only in a root-owned file. Pure: the caller says, per name, whether it is
 * allowed (looking accounts up is I/O).
 */
import type { FieldPath, Problem } from './diagnostics.ts';

/** Why `user` may not be named in this file; undefined when it may. */
export type UserCheck = (user: string) => string | undefined;

// Every place a manifest names the account a program runs as.
const USER_FIELDS: readonly FieldPath[] = [
  ['spec', 'user'],
  ['spec', 'recovery', 'fallback', 'user'],
  ['spec', 'template', 'user'],
  ['spec', 'template', 'recovery', 'fallback', 'user'],
];

/** A `UserNotAllowed` problem for every `user:` field of `spec` that `check` refuses. */
export function runAsProblems(spec: unknown, check: UserCheck): Problem[] {
  const problems: Problem[] = [];
  for (const path of USER_FIELDS) {
    const value = valueAt({ spec }, path);
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    const message = check(String(value));
    if (message) problems.push({ code: 'UserNotAllowed', severity: 'error', path, message });
  }
  return problems;
}

function valueAt(root: unknown, path: FieldPath): unknown {
  let current = root;
  for (const key of path) {
    current = typeof current === 'object' && current !== null ? (current as Record<string | number, unknown>)[key] : undefined;
  }
  return current;
}
