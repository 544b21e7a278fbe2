/**
 * YAML (and JSON, which YAML reads) to a source tree with positions. Merge keys (`<<: *base`)
 * are applied, as Compose files rely on them; aliases are followed a bounded number of times.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { ImportError } from './errors.ts';
import type { SourceEntry, SourceNode } from './tree.ts';

const MAX_ALIASES = 1000;

/** Parses `text` into a tree; a syntax error throws an ImportError naming file, line and column. */
export function yamlTree(text: string, file: string): SourceNode {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const error = doc.errors[0];
  if (error) {
    const at = lineCounter.linePos(error.pos[0]);
    throw new ImportError(file, at.line, at.col, `${error.message.split('\n')[0] ?? ''}; fix the YAML syntax`);
  }
  const budget = { aliases: 0 };
  const convert = (node: unknown): SourceNode => toNode(node, doc, lineCounter, budget, file, convert);
  return doc.contents === null ? { t: 'scalar', line: 1, col: 1, value: null } : convert(doc.contents);
}

type Convert = (node: unknown) => SourceNode;

function toNode(node: unknown, doc: Document, lc: LineCounter, budget: { aliases: number }, file: string, convert: Convert): SourceNode {
  const at = lc.linePos((node as YamlNode).range?.[0] ?? 0);
  if (isAlias(node)) {
    budget.aliases += 1;
    if (budget.aliases > MAX_ALIASES) throw new ImportError(file, at.line, at.col, 'too many alias expansions; simplify the anchors');
    return convert(node.resolve(doc));
  }
  if (isScalar(node)) return { t: 'scalar', line: at.line, col: at.col, value: scalarValue(node.value) };
  if (isSeq(node)) return { t: 'seq', line: at.line, col: at.col, items: node.items.map(convert) };
  if (isMap(node)) return { t: 'map', line: at.line, col: at.col, entries: mapEntries(node.items, lc, convert) };
  return { t: 'scalar', line: at.line, col: at.col, value: null };
}

function scalarValue(value: unknown): string | number | boolean | null {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'bigint' ? value.toString() : null;
}

// Entries in source order; `<<` merges the entries of the map(s) it names under the explicit ones.
function mapEntries(items: readonly unknown[], lc: LineCounter, convert: Convert): SourceEntry[] {
  const own: SourceEntry[] = [];
  const merged: SourceEntry[] = [];
  for (const pair of items) {
    if (!isPair(pair)) continue;
    const keyNode = pair.key as YamlNode | null;
    const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const line = lc.linePos(keyNode?.range?.[0] ?? 0).line;
    const value = pair.value === null ? { t: 'scalar' as const, line, col: 1, value: null } : convert(pair.value);
    if (key === '<<') merged.push(...mergeSources(value));
    else own.push({ key, line, value });
  }
  const keys = new Set(own.map((e) => e.key));
  return [...own, ...merged.filter((e) => !keys.has(e.key) && (keys.add(e.key), true))];
}

function mergeSources(value: SourceNode): SourceEntry[] {
  if (value.t === 'map') return [...value.entries];
  if (value.t === 'seq') return value.items.flatMap((item) => (item.t === 'map' ? item.entries : []));
  return [];
}
