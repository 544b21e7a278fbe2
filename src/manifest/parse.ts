/**
 * YAML text to documents with positions. Owns the YAML rules of SPEC §5: YAML 1.2 core schema,
 * no custom tags, bounded alias expansion. Pure: no file access; the caller enforces the
 * per-file size limit before it hands the text over.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode, YAMLError } from 'yaml';
import type { Diagnostic } from '../model/diagnostic.ts';
import { FILE_START, makeDiagnostic } from './diagnostics.ts';
import type { FieldPath, Position } from './diagnostics.ts';

/** Alias expansions allowed per document before it is rejected (a "billion laughs" guard). */
const MAX_ALIAS_COUNT = 100;

/** One non-empty YAML document that parsed without errors. */
export interface ParsedDocument {
  /** 0-based index of the document in its file. */
  readonly index: number;
  /** The document as plain data (maps are objects, sequences arrays). */
  readonly value: unknown;
  /** Where the document's content starts. */
  readonly start: Position;
  readonly node: Document.Parsed;
  readonly lineCounter: LineCounter;
}

/** What parsing a file gave: its documents and any syntax problems. */
export interface ParsedFile {
  readonly documents: readonly ParsedDocument[];
  readonly diagnostics: readonly Diagnostic[];
  /** True when the file holds no document at all (only comments, `---` or whitespace). */
  readonly empty: boolean;
}

/**
 * Parses the YAML documents of one file. A document with syntax errors is left out and each
 * error becomes a `YamlSyntax` diagnostic at its line and column; the other documents are kept.
 * Never throws.
 */
export function parseManifestText(text: string, file: string): ParsedFile {
  const lineCounter = new LineCounter();
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let docs: Document.Parsed[];
  try {
    docs = [...parseAllDocuments(source, { lineCounter, prettyErrors: false, merge: true, version: '1.2' })];
  } catch (error) {
    // The parser can run out of stack on absurdly deep nesting.
    return { documents: [], empty: false, diagnostics: [yamlDiagnostic(file, FILE_START, `cannot parse: ${errorText(error)}`)] };
  }
  const documents: ParsedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  docs.forEach((node, index) => {
    const found = documentProblems(node, lineCounter, file);
    diagnostics.push(...found);
    if (found.length > 0 || node.contents === null) return;
    const start = offsetPosition(lineCounter, node.contents.range[0]);
    const converted = toPlainValue(node);
    if (!converted.ok) diagnostics.push(yamlDiagnostic(file, start, converted.message));
    // An empty document (`---` alone, or `null`) defines nothing.
    else if (converted.value !== null) documents.push({ index, value: converted.value, start, node, lineCounter });
  });
  return { documents, diagnostics, empty: documents.length === 0 && diagnostics.length === 0 };
}

// Syntax errors, plus warnings that SPEC §5 turns into errors (custom tags).
function documentProblems(node: Document.Parsed, lineCounter: LineCounter, file: string): Diagnostic[] {
  const fatal = [...node.errors, ...node.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')];
  return fatal.map((error: YAMLError) => {
    const at = offsetPosition(lineCounter, error.pos[0]);
    const message = error.code === 'TAG_RESOLVE_FAILED' ? `${error.message}; custom tags are not allowed` : error.message;
    return yamlDiagnostic(file, at, message);
  });
}

function toPlainValue(node: Document.Parsed): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: node.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    return { ok: false, message: `cannot expand the document: ${errorText(error)}` };
  }
}

function yamlDiagnostic(file: string, at: Position, message: string): Diagnostic {
  return makeDiagnostic({ code: 'YamlSyntax', file, at, message: `invalid YAML: ${message.replace(/\s+/g, ' ').trim()}` });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function offsetPosition(lineCounter: LineCounter, offset: number): Position {
  const { line, col } = lineCounter.linePos(offset);
  return { line: Math.max(1, line), col: Math.max(1, col) };
}

/**
 * Where a field is in the file: the position of its key when it is a map entry, of the item
 * when it is a list entry, or of the nearest enclosing field that exists (for a missing field).
 * Follows aliases and `<<` merge keys into the node they point at.
 */
export function locate(doc: ParsedDocument, path: FieldPath): Position {
  let node: unknown = doc.node.contents;
  let at: Position = doc.start;
  for (const segment of path) {
    const found = child(doc, resolveAlias(doc, node), segment);
    if (!found) break;
    at = offsetPosition(doc.lineCounter, found.at);
    node = found.node;
  }
  return at;
}

function resolveAlias(doc: ParsedDocument, node: unknown): unknown {
  let current = node;
  for (let hops = 0; isAlias(current) && hops < MAX_ALIAS_COUNT; hops++) current = current.resolve(doc.node);
  return current;
}

// The child node of a map or sequence and the offset to report for it.
function child(doc: ParsedDocument, node: unknown, segment: string | number): { node: unknown; at: number } | undefined {
  if (isSeq(node)) {
    const item: unknown = node.items[Number(segment)];
    return hasRange(item) ? { node: item, at: item.range[0] } : undefined;
  }
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    if (isScalar(pair.key) && typeof pair.key.value !== 'symbol' && String(pair.key.value) === String(segment) && pair.key.range) {
      return { node: pair.value, at: pair.key.range[0] };
    }
  }
  for (const pair of node.items) {
    // With merge keys on, yaml gives `<<` a symbol value.
    if (isScalar(pair.key) && (typeof pair.key.value === 'symbol' || pair.key.value === '<<')) {
      const sources = resolveAlias(doc, pair.value);
      for (const source of isSeq(sources) ? sources.items : [sources]) {
        const found = child(doc, resolveAlias(doc, source), segment);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function hasRange(node: unknown): node is YamlNode & { range: [number, number, number] } {
  return typeof node === 'object' && node !== null && Array.isArray((node as YamlNode).range);
}
