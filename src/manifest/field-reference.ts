/**
 * The manifest field reference (docs/manifest-fields.md), generated from the JSON Schemas in
 * schemas/, which are the single source of truth: one table per kind, a row per field path with
 * its type, default and description. Pure: the caller reads the schema files and writes the page.
 */

type Schema = Readonly<Record<string, unknown>>;

/** The schemas by file name (`process.schema.json` → its parsed JSON). */
export type SchemaSet = ReadonlyMap<string, Schema>;

const KINDS: readonly (readonly [string, string])[] = [
  ['Process', 'process.schema.json'],
  ['ProcessPool', 'pool.schema.json'],
  ['Job', 'job.schema.json'],
  ['Node', 'node.schema.json'],
];

const MAX_DEPTH = 5;

/** The whole page. */
export function fieldReference(schemas: SchemaSet): string {
  const parts = ['# Manifest field reference', '', '<!-- Generated from schemas/ by `npm run docs:fields`; do not edit by hand. -->', ''];
  for (const [kind, file] of KINDS) {
    const schema = schemas.get(file);
    if (!schema) continue;
    parts.push(`## ${kind} (\`spec\`)`, '', text(schema.description), '', '| field | type | default | description |', '|---|---|---|---|');
    for (const row of rows(schemas, file, schema, 'spec', 0, new Set())) parts.push(row);
    parts.push('');
  }
  return parts.join('\n');
}

function rows(schemas: SchemaSet, file: string, schema: Schema, path: string, depth: number, seen: ReadonlySet<string>): string[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  return Object.entries(properties).flatMap(([name, raw]) => {
    const { node, at, ref } = resolve(schemas, file, raw);
    const fieldPath = `${path}.${name}`;
    const row = `| \`${fieldPath}\` | ${typeOf(schemas, at, node)} | ${defaultOf(raw, node)} | ${cell(text(raw.description ?? node.description))} |`;
    const inner = objectOf(schemas, at, node);
    if (!inner || depth >= MAX_DEPTH || (ref && seen.has(ref))) return [row];
    const nextSeen = ref ? new Set([...seen, ref]) : seen;
    const itemPath = node.type === 'array' ? `${fieldPath}[]` : fieldPath;
    return [row, ...rows(schemas, inner.at, inner.node, itemPath, depth + 1, nextSeen)];
  });
}

// Follows `$ref` (local `#/definitions/x` or `other.schema.json#/definitions/x`) to the node it names.
function resolve(schemas: SchemaSet, file: string, node: Schema): { node: Schema; at: string; ref?: string } {
  const ref = node.$ref;
  if (typeof ref !== 'string') return { node, at: file };
  const [target = '', pointer = ''] = ref.split('#');
  const at = target || file;
  let found: unknown = schemas.get(at);
  for (const part of pointer.split('/').filter(Boolean)) found = (found as Schema | undefined)?.[part];
  const resolved = resolve(schemas, at, (found ?? {}) as Schema);
  return { ...resolved, ref: `${at}#${pointer}` };
}

// The object whose properties a field has: itself, or its array items.
function objectOf(schemas: SchemaSet, file: string, node: Schema): { node: Schema; at: string } | undefined {
  if (node.properties) return { node, at: file };
  if (node.type === 'array' && node.items) {
    const item = resolve(schemas, file, node.items as Schema);
    if (item.node.properties) return item;
  }
  return undefined;
}

function typeOf(schemas: SchemaSet, file: string, node: Schema): string {
  if (Array.isArray(node.enum)) return node.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (node.type === 'array' && node.items) return `list of ${typeOf(schemas, file, resolve(schemas, file, node.items as Schema).node)}`;
  const variants = (node.oneOf ?? node.anyOf) as Schema[] | undefined;
  if (variants) return [...new Set(variants.map((v) => typeOf(schemas, file, resolve(schemas, file, v).node)))].join(' or ');
  if (Array.isArray(node.type)) return node.type.join(' or ');
  return typeof node.type === 'string' ? node.type : 'object';
}

function defaultOf(raw: Schema, node: Schema): string {
  const value = raw.default ?? node.default;
  if (value === undefined) return '';
  const text = JSON.stringify(value);
  return text.length > 40 ? '(see below)' : `\`${text}\``;
}

function cell(value: string): string {
  return value.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
