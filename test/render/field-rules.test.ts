/**
 * No silent drops: every field the JSON schemas in schemas/ allow, for every kind, has a
 * rule that renders it or reports it (src/render/kubernetes/kind-rules.ts), and the
 * every-field fixture writes every one of them, so the golden files show each decision.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { KIND_RULES } from '../../src/render/kubernetes/kind-rules.ts';
import type { Kind } from '../../src/model/object.ts';
import { loadSources } from '../helpers/render-dir.ts';

type Schema = Record<string, unknown>;

const SCHEMAS: Readonly<Record<string, Schema>> = Object.fromEntries(
  ['process', 'pool', 'job', 'node'].map((name) => [`${name}.schema.json`, JSON.parse(readFileSync(`schemas/${name}.schema.json`, 'utf8')) as Schema]),
);
const KIND_SCHEMA: Readonly<Record<Kind, string>> = { Process: 'process.schema.json', ProcessPool: 'pool.schema.json', Job: 'job.schema.json', Node: 'node.schema.json' };

// Follows `$ref` (`#/definitions/x` or `other.schema.json#/definitions/x`) to the schema it names.
function resolveRef(schema: Schema, file: string): { schema: Schema; file: string } {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return { schema, file };
  const [target = '', pointer = ''] = ref.split('#');
  const targetFile = target || file;
  let node: unknown = SCHEMAS[targetFile];
  for (const segment of pointer.split('/').filter(Boolean)) node = (node as Schema)[segment];
  return resolveRef(node as Schema, targetFile);
}

/** Every field pattern a schema allows under `path` (`*` for map keys and list items). */
function schemaPatterns(input: Schema, file: string, path: string, depth = 0): string[] {
  if (depth > 12) return [];
  const { schema, file: at } = resolveRef(input, file);
  const parts: Schema[] = [schema, ...(['allOf', 'anyOf', 'oneOf'] as const).flatMap((k) => (schema[k] as Schema[] | undefined) ?? []), ...(['then', 'else'] as const).flatMap((k) => (schema[k] ? [schema[k] as Schema] : []))];
  const out = new Set<string>();
  for (const part of parts) {
    const { schema: s, file: f } = part === schema ? { schema, file: at } : resolveRef(part, at);
    for (const [key, child] of Object.entries((s.properties as Record<string, Schema> | undefined) ?? {})) {
      out.add(`${path}.${key}`);
      for (const p of schemaPatterns(child, f, `${path}.${key}`, depth + 1)) out.add(p);
    }
    const extra = s.additionalProperties;
    if (typeof extra === 'object' && extra !== null) {
      out.add(`${path}.*`);
      for (const p of schemaPatterns(extra as Schema, f, `${path}.*`, depth + 1)) out.add(p);
    }
    if (typeof s.items === 'object' && s.items !== null) {
      out.add(`${path}.*`);
      for (const p of schemaPatterns(s.items as Schema, f, `${path}.*`, depth + 1)) out.add(p);
    }
  }
  return [...out];
}

function patternsOf(kind: Kind): string[] {
  const file = KIND_SCHEMA[kind];
  return schemaPatterns(SCHEMAS[file] as Schema, file, 'spec');
}

// The rule that decides a pattern: its own, or the nearest ancestor's when that does not descend.
function decidedBy(kind: Kind, pattern: string): string | undefined {
  const table = KIND_RULES[kind];
  const segments = pattern.split('.');
  for (let end = segments.length; end > 1; end--) {
    const candidate = segments.slice(0, end).join('.');
    const rule = table[candidate] ?? table[[...segments.slice(0, end - 1), '*'].join('.')];
    if (rule === undefined) continue;
    if (end === segments.length || rule !== 'each') return candidate;
    return undefined; // an 'each' ancestor needs a rule for every child
  }
  return undefined;
}

for (const kind of ['Process', 'ProcessPool', 'Job', 'Node'] as const) {
  test(`every ${kind} field in the schema is rendered or reported`, () => {
    const patterns = patternsOf(kind);
    assert.ok(patterns.length > (kind === 'Node' ? 8 : 40), `too few ${kind} fields found (${patterns.length}): is the schema walk broken?`);
    assert.deepEqual(patterns.filter((p) => decidedBy(kind, p) === undefined), []);
  });

  test(`no ${kind} rule names a field the schema does not have`, () => {
    const patterns = new Set(patternsOf(kind));
    const stale = Object.keys(KIND_RULES[kind]).filter((p) => !patterns.has(p) && !patterns.has(p.replace(/\.[^.]+$/, '.*')));
    assert.deepEqual(stale, []);
  });
}

// The three probes share one definition and one rendering: each form in one of them is enough.
const sameProbe = (pattern: string): string => pattern.replace(/\.probes\.(?:startup|liveness|readiness)\b/, '.probes.#');

test('the every-field fixture writes every field of every kind', async () => {
  const written = new Map<Kind, Set<string>>();
  for (const source of await loadSources('test/fixtures/render/every-field')) {
    const set = written.get(source.kind) ?? new Set<string>();
    const found = new Set<string>();
    collect(source.spec, 'spec', found);
    for (const pattern of found) set.add(pattern).add(sameProbe(pattern));
    written.set(source.kind, set);
  }
  for (const kind of ['Process', 'ProcessPool', 'Job', 'Node'] as const) {
    const seen = written.get(kind) ?? new Set();
    const missing = patternsOf(kind).map(sameProbe).filter((p) => !seen.has(p) && ![...seen].some((s) => matches(p, s)));
    assert.deepEqual(missing, [], `${kind} fields the fixture does not write`);
  }
});

function collect(value: unknown, path: string, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      out.add(`${path}.*`);
      collect(item, `${path}.*`, out);
    }
  }
  else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      out.add(`${path}.${key}`);
      collect(child, `${path}.${key}`, out);
    }
  }
}

function matches(pattern: string, written: string): boolean {
  const a = pattern.split('.');
  const b = written.split('.');
  return a.length === b.length && a.every((s, i) => s === '*' || s === b[i]);
}

test('a manifest document parses as written for this test (sanity of the walk)', () => {
  const [doc] = parseAllDocuments('spec: {env: {A: 1}}');
  const set = new Set<string>();
  collect((doc?.toJS() as { spec: unknown }).spec, 'spec', set);
  assert.deepEqual([...set], ['spec.env', 'spec.env.A']);
});
