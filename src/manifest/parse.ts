/**
 * YAML text to documents with positions. Owns the YAML rules of SPEC §5: YAML 1.2 core schema,
 * no custom tags, bounded alias expansion, bounded nesting and document count, plain keys; and
 * the text's encoding (UTF-8 only). Pure: no file access; the caller enforces the per-file size
 * limit before it hands the bytes over. Every problem is a positioned diagnostic, never a throw
 * or a warning on stderr.
 */
import { Composer, isAlias, isMap, isScalar, isSeq, Lexer, LineCounter, Parser, visit } from 'yaml';
import type { CST, Document, Node as YamlNode, YAMLError } from 'yaml';
import type { Diagnostic } from '../model/diagnostic.ts';
import { makeDiagnostic } from './diagnostics.ts';
import type { FieldPath, Position } from './diagnostics.ts';
import { readPlainYaml, type PlainDocument, type Spot } from './plain-yaml.ts';

/** Alias expansions allowed per document before it is rejected (a "billion laughs" guard). */
const MAX_ALIAS_COUNT = 100;

/** Collections nested in one another, at most (a manifest needs about ten). */
export const MAX_NESTING_DEPTH = 64;

/** YAML documents in one file, at most (empty ones count too). */
export const MAX_DOCUMENTS = 1000;

// resolveKnownTags off: `!!binary`, `!!set`, `!!timestamp` and the like are custom tags here too.
// uniqueKeys off: yaml compares each key with every earlier one (quadratic: 40,000 keys took
// minutes); keyProblems finds duplicates in one pass instead.
const YAML_OPTIONS = { prettyErrors: false, merge: true, version: '1.2', logLevel: 'error', resolveKnownTags: false, uniqueKeys: false } as const;

/** One non-empty YAML document that parsed without errors. */
export interface ParsedDocument {
  /** 0-based index of the document in its file. */
  readonly index: number;
  /** The document as plain data (maps are objects, sequences arrays). */
  readonly value: unknown;
  /** Where the document's content starts. */
  readonly start: Position;
  /** Where the field at `path` is written: see {@link locate}. */
  readonly locate: (path: FieldPath) => Position;
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
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const plain = readPlainYaml(source);
  return plain ? plainFile(source, plain) : yamlFile(source, file);
}

// What the yaml library would give for a text in the plain subset, read without it.
function plainFile(source: string, documents: readonly PlainDocument[]): ParsedFile {
  const lineCounter = new LineCounter();
  lineCounter.addNewLine(0);
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
  const position = (offset: number): Position => offsetPosition(lineCounter, offset);
  const parsed = documents.map((doc): ParsedDocument => ({
    index: doc.index,
    value: doc.value,
    start: position(doc.spot.at),
    locate: (path) => position(spotAt(doc.spot, path)),
  }));
  return { documents: parsed, diagnostics: [], empty: parsed.length === 0 };
}

// The offset `locate` gives for `path`, in the plain reader's spots.
function spotAt(root: Spot, path: FieldPath): number {
  let spot = root;
  for (const segment of path) {
    const next = typeof segment === 'number' || spot.items ? spot.items?.[Number(segment)] : spot.entries?.get(String(segment));
    if (!next) break;
    spot = next;
  }
  return spot.at;
}

/** {@link parseManifestText} by the yaml library alone, never the plain reader (its reference). */
export function parseWithLibrary(text: string, file: string): ParsedFile {
  return yamlFile(text.startsWith('\uFEFF') ? text.slice(1) : text, file);
}

function yamlFile(source: string, file: string): ParsedFile {
  const lineCounter = new LineCounter();
  const composed = composeDocuments(source, lineCounter);
  if (!composed.ok) {
    const at = offsetPosition(lineCounter, composed.offset);
    return { documents: [], empty: false, diagnostics: [yamlDiagnostic(file, at, composed.message)] };
  }
  const documents: ParsedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  composed.docs.forEach((node, index) => {
    const found = documentProblems(node, lineCounter, file);
    diagnostics.push(...found);
    if (found.length > 0 || node.contents === null) return;
    const start = offsetPosition(lineCounter, node.contents.range[0]);
    const converted = toPlainValue(node);
    if (!converted.ok) diagnostics.push(yamlDiagnostic(file, start, converted.message));
    // An empty document (`---` alone, or `null`) defines nothing.
    else if (converted.value !== null) documents.push({ index, value: converted.value, start, locate: (path) => locateIn({ node, lineCounter, start }, path) });
  });
  return { documents, diagnostics, empty: documents.length === 0 && diagnostics.length === 0 };
}

type Composed = { readonly ok: true; readonly docs: Document.Parsed[] } | { readonly ok: false; readonly offset: number; readonly message: string };

/** Thrown inside the token stream to stop composing; carries where and why. */
class LimitReached extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
  }
}

// What parseAllDocuments does, with the parser's stack and the document count watched as it
// goes: the composer recurses per nesting level, so depth is refused before it gets there.
function composeDocuments(source: string, lineCounter: LineCounter): Composed {
  const parser = new Parser(lineCounter.addNewLine);
  const composer = new Composer(YAML_OPTIONS);
  function* tokens(): Generator<CST.Token> {
    lineCounter.addNewLine(0);
    let documents = 0;
    for (const lexeme of new Lexer().lex(source)) {
      for (const token of parser.next(lexeme)) {
        if (token.type === 'document' && ++documents > MAX_DOCUMENTS) {
          throw new LimitReached(token.offset, `more than ${MAX_DOCUMENTS} documents in one file; split it into several files`);
        }
        yield token;
      }
      // The stack holds the stream's document and each open collection.
      if (parser.stack.length > MAX_NESTING_DEPTH + 1) {
        throw new LimitReached(parser.offset, `nested more than ${MAX_NESTING_DEPTH} levels deep; a manifest needs far fewer`);
      }
    }
    yield* parser.end();
  }
  try {
    return { ok: true, docs: [...composer.compose(tokens())] as Document.Parsed[] };
  } catch (error) {
    if (error instanceof LimitReached) return { ok: false, offset: error.offset, message: error.message };
    // Not expected with the limits above; still a diagnostic, never a crash.
    return { ok: false, offset: 0, message: `cannot parse: ${errorText(error)}` };
  }
}

// Syntax errors, warnings that SPEC §5 turns into errors (custom tags), and keys that are not plain.
function documentProblems(node: Document.Parsed, lineCounter: LineCounter, file: string): Diagnostic[] {
  const fatal = [...node.errors, ...node.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')];
  const found = fatal.map((error: YAMLError) => {
    const at = offsetPosition(lineCounter, error.pos[0]);
    const message = error.code === 'TAG_RESOLVE_FAILED' ? `${error.message}; custom tags are not allowed` : error.message;
    return yamlDiagnostic(file, at, message);
  });
  if (found.length > 0) return found;
  return keyProblems(node).map((p) => yamlDiagnostic(file, offsetPosition(lineCounter, p.offset), p.message));
}

// Keys that are collections (`? [a, b]`: JavaScript objects cannot hold them) or repeat an
// earlier key of the same map.
function keyProblems(node: Document.Parsed): { offset: number; message: string }[] {
  const found: { offset: number; message: string }[] = [];
  visit(node, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const { key } of map.items) {
        if (!hasRange(key)) continue;
        if (isMap(key) || isSeq(key)) found.push({ offset: key.range[0], message: 'a mapping key must be a plain value, not a list or mapping' });
        if (!isScalar(key) || typeof key.value === 'symbol' || key.value === '<<') continue;
        const text = String(key.value);
        if (seen.has(text)) found.push({ offset: key.range[0], message: `Map keys must be unique (${describeKey(text)} is repeated)` });
        seen.add(text);
      }
    },
  });
  return found;
}

function describeKey(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text);
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
  return doc.locate(path);
}

/** A document as the yaml library parsed it. */
interface YamlDocument {
  readonly node: Document.Parsed;
  readonly lineCounter: LineCounter;
  readonly start: Position;
}

function locateIn(doc: YamlDocument, path: FieldPath): Position {
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

function resolveAlias(doc: YamlDocument, node: unknown): unknown {
  let current = node;
  for (let hops = 0; isAlias(current) && hops < MAX_ALIAS_COUNT; hops++) current = current.resolve(doc.node);
  return current;
}

// The child node of a map or sequence and the offset to report for it.
function child(doc: YamlDocument, node: unknown, segment: string | number): { node: unknown; at: number } | undefined {
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
