/**
 * Walks every field written in a manifest's spec against the rules of its kind and reports the
 * ones that are not rendered, each at its place in the file. Pure.
 */
import { formatPath, type FieldPath } from '../../manifest/diagnostics.ts';
import { TendError } from '../../model/errors.ts';
import { objectKey } from '../../model/object.ts';
import { KIND_RULES } from './kind-rules.ts';
import type { NotRendered } from './model.ts';
import type { Rule, RuleContext } from './rule-types.ts';

/** Every field of `context.source` that the rendered objects do not carry, in the order written. */
export function notRenderedFields(context: RuleContext): NotRendered[] {
  const { source } = context;
  const table = KIND_RULES[source.kind];
  const out: NotRendered[] = [];
  const visit = (value: unknown, path: FieldPath, pattern: string): void => {
    const rule = decide(table[pattern], value, context, path, pattern);
    if (rule === 'field') return;
    if (rule !== 'each') {
      const at = source.locate(path);
      out.push({ file: source.file, line: at.line, col: at.col, object: objectKey(source.kind, source.name), field: formatPath(path), why: rule.drop });
      return;
    }
    for (const [key, child] of entries(value)) {
      const exact = `${pattern}.${key}`;
      visit(child, [...path, key], typeof key === 'string' && exact in table ? exact : `${pattern}.*`);
    }
  };
  visit(source.spec, ['spec'], 'spec');
  return out;
}

function decide(rule: Rule | undefined, value: unknown, context: RuleContext, path: FieldPath, pattern: string): 'field' | 'each' | { readonly drop: string } {
  if (pattern === 'spec') return 'each';
  if (rule === undefined) throw new TendError('InvariantViolation', `no Kubernetes rule for ${pattern} (${formatPath(path)})`);
  return typeof rule === 'function' ? decide(rule(value, context, path), value, context, path, pattern) : rule;
}

function entries(value: unknown): [string | number, unknown][] {
  if (Array.isArray(value)) return value.map((item, index): [number, unknown] => [index, item]);
  return typeof value === 'object' && value !== null ? Object.entries(value) : [];
}

