/**
 * A fast reader for the plain YAML most manifests are written in: block mappings and sequences,
 * one-line flow collections (`[sleep, "60"]`, `{name: web}`), plain and quoted one-line scalars,
 * comments and `---` between documents. Pure; ASCII text only.
 *
 * It either reads a text exactly as the `yaml` library (parse.ts) would, value for value and
 * with each key and item where that library puts it, or gives up (undefined) and parse.ts reads
 * the text with the library: at anything else (anchors, aliases, tags, merge keys, block or
 * multi-line scalars, escapes, tabs, CR, duplicate or non-string keys, odd indentation, deep
 * nesting) and at anything the library would report. Scalars resolve by the YAML 1.2 core
 * schema with the library's own tests. Cold, the library takes milliseconds per small file.
 */

/** Where a node is: the offset of its key (a map entry), its item (a list entry), or its content. */
export interface Spot {
  readonly at: number;
  readonly entries?: ReadonlyMap<string, Spot>;
  readonly items?: readonly Spot[];
}

/** One document: its value, where its content starts, and its fields' positions. */
export interface PlainDocument {
  readonly index: number;
  readonly value: unknown;
  readonly spot: Spot;
}

/** Documents a text is read into, at most, before it is left to the library (which counts them). */
const MAX_DOCUMENTS = 1000;

/** Nesting this reader takes, at most (the library's limit is higher; deeper texts go to it). */
const MAX_DEPTH = 32;

interface Line {
  readonly start: number;
  readonly indent: number;
  /** The content without indentation and without a trailing comment or spaces. */
  readonly text: string;
  /** The key the content starts with ({@link keyOf}), found once when the line is made. */
  readonly key: Key | undefined;
}

/** A mapping key: its name and how many characters it takes, the colon included. */
interface Key {
  readonly name: string;
  readonly length: number;
}

class GiveUp extends Error {}

const giveUp = (): never => {
  throw new GiveUp();
};

/**
 * The non-empty documents of `text` (empty ones are counted in `index` but left out), or
 * undefined when the text is not in the plain subset.
 */
export function readPlainYaml(text: string): PlainDocument[] | undefined {
  // Printable ASCII and newlines only: no tab, CR, control character, BOM or non-ASCII text.
  if (!/^[\n\x20-\x7e]*$/.test(text)) return undefined;
  try {
    return documentsOf(linesOf(text));
  } catch (error) {
    if (error instanceof GiveUp) return undefined;
    throw error;
  }
}

// Content lines (blank and comment-only lines dropped), with `---` kept as a separator (null).
function linesOf(text: string): (Line | null)[] {
  const lines: (Line | null)[] = [];
  let start = 0;
  while (start <= text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    const raw = text.slice(start, end);
    const indent = raw.length - raw.trimStart().length;
    const body = withoutComment(raw.slice(indent));
    if (raw.startsWith('---') && (raw.length === 3 || raw[3] === ' ')) {
      if (body.trimEnd() !== '---') giveUp();
      lines.push(null);
    } else if (body !== '') {
      if (/^(\.\.\.|%)/.test(raw) || body.startsWith('---')) giveUp();
      lines.push(lineOf(start + indent, indent, body));
    }
    start = end + 1;
  }
  return lines;
}

const lineOf = (start: number, indent: number, text: string): Line => ({ start, indent, text, key: keyOf(text) });

// A line without its trailing comment (from ` #`) and trailing spaces. A quote before the `#`
// could mean it is inside a quoted scalar: left to the library.
function withoutComment(line: string): string {
  if (line.startsWith('#')) return '';
  const hash = line.indexOf(' #');
  if (hash === -1) return line.trimEnd();
  if (/["']/.test(line.slice(0, hash))) giveUp();
  return line.slice(0, hash).trimEnd();
}

function documentsOf(lines: readonly (Line | null)[]): PlainDocument[] {
  const documents: PlainDocument[] = [];
  // Content before the first `---` is a document only when there is some.
  let index = lines[0] === null ? -1 : 0;
  let from = 0;
  for (let i = 0; i <= lines.length; i++) {
    if (i < lines.length && lines[i] !== null) continue;
    const section = lines.slice(from, i) as Line[];
    const document = section.length > 0 ? documentOf(section) : undefined;
    // A document that is only `null` (or `~`) defines nothing, as an empty one.
    if (document && document.value !== null) documents.push({ index, ...document });
    index++;
    from = i + 1;
    if (index >= MAX_DOCUMENTS) giveUp();
  }
  return documents;
}

function documentOf(lines: readonly Line[]): { value: unknown; spot: Spot } {
  const reader = new BlockReader(lines);
  const first = lines[0] ?? giveUp();
  if (first.indent !== 0 && !isDash(first.text) && first.key === undefined) giveUp();
  const node = reader.node(first.indent, 0);
  if (reader.next < lines.length) giveUp();
  return node;
}

/** Reads block nodes from the lines, in order. */
class BlockReader {
  next = 0;
  /** The line a `- key: value` item's mapping starts on: the dash's line from the key on. */
  private compact: { readonly index: number; readonly line: Line } | undefined;

  constructor(private readonly lines: readonly Line[]) {}

  private line(index: number): Line | undefined {
    return this.compact?.index === index ? this.compact.line : this.lines[index];
  }

  /** The node whose first line is the next one, at `indent`. */
  node(indent: number, depth: number): { value: unknown; spot: Spot } {
    if (depth > MAX_DEPTH) giveUp();
    const line = this.line(this.next) ?? giveUp();
    if (line.indent !== indent) giveUp();
    if (isDash(line.text)) return this.sequence(indent, depth);
    if (line.key !== undefined) return this.mapping(indent, line.start, depth);
    this.next++;
    return this.inlineAfter(line.text, line.start, indent);
  }

  private mapping(indent: number, at: number, depth: number): { value: unknown; spot: Spot } {
    const value: Record<string, unknown> = {};
    const entries = new Map<string, Spot>();
    for (let line = this.line(this.next); line && line.indent === indent; line = this.line(this.next)) {
      const key = line.key ?? giveUp();
      if (entries.has(key.name)) giveUp();
      this.next++;
      const rest = line.text.slice(key.length).trimStart();
      const child = rest === '' ? this.blockValue(indent, depth, true) : this.inlineAfter(rest, line.start + line.text.length - rest.length, indent);
      value[key.name] = child.value;
      entries.set(key.name, { ...child.spot, at: line.start });
    }
    this.endOfBlock(indent);
    return { value, spot: { at, entries } };
  }

  private sequence(indent: number, depth: number): { value: unknown; spot: Spot } {
    const value: unknown[] = [];
    const items: Spot[] = [];
    const at = this.line(this.next)?.start ?? giveUp();
    for (let line = this.line(this.next); line && line.indent === indent && isDash(line.text); line = this.line(this.next)) {
      const rest = line.text.slice(1).trimStart();
      const restAt = line.start + line.text.length - rest.length;
      const item = lineOf(restAt, indent + (restAt - line.start), rest);
      let child: { value: unknown; spot: Spot };
      if (rest === '') {
        this.next++;
        child = this.blockValue(indent, depth, false);
        // An empty item: the library gives it no node to point at.
        if (child.spot.at === -1) giveUp();
      } else if (isDash(rest)) {
        return giveUp();
      } else if (item.key !== undefined) {
        child = this.compactMapping(item, depth + 1);
      } else {
        this.next++;
        child = this.inlineAfter(rest, restAt, indent);
      }
      value.push(child.value);
      items.push(child.spot);
    }
    this.endOfBlock(indent);
    return { value, spot: { at, items } };
  }

  // `- key: value`: a mapping whose keys line up after the dash, read from the dash's line.
  private compactMapping(first: Line, depth: number): { value: unknown; spot: Spot } {
    this.compact = { index: this.next, line: first };
    try {
      return this.node(first.indent, depth);
    } finally {
      this.compact = undefined;
    }
  }

  // The value of `key:` or `-` with nothing after it: a deeper block, a sequence at the key's
  // own indent (a mapping's value only), or null.
  private blockValue(indent: number, depth: number, ofKey: boolean): { value: unknown; spot: Spot } {
    const line = this.line(this.next);
    if (line && line.indent > indent) return this.node(line.indent, depth + 1);
    if (ofKey && line && line.indent === indent && isDash(line.text)) return this.sequence(indent, depth + 1);
    return { value: null, spot: { at: -1 } };
  }

  // A value written on one line; a plain scalar must not go on over the next lines.
  private inlineAfter(text: string, at: number, indent: number): { value: unknown; spot: Spot } {
    const next = this.line(this.next);
    if (next && next.indent > indent) giveUp();
    return inlineValue(text, at);
  }

  // After a block, the next line must belong to an enclosing block: less indented.
  private endOfBlock(indent: number): void {
    const line = this.line(this.next);
    if (line && line.indent > indent) giveUp();
  }
}

const isDash = (text: string): boolean => text === '-' || text.startsWith('- ');

/** A key at the start of `text` (`name:` followed by a space or the end): its name and length. */
function keyOf(text: string): Key | undefined {
  const plain = /^([A-Za-z0-9_][A-Za-z0-9_./-]*):(?: |$)/.exec(text);
  if (plain?.[1] !== undefined) {
    const name = plain[1];
    if (typeof resolvePlain(name) !== 'string' || name === '__proto__') return undefined;
    return { name, length: name.length + 1 };
  }
  const quoted = /^(?:"([^"\\]*)"|'([^']*)'):(?: |$)/.exec(text);
  if (!quoted) return undefined;
  const name = quoted[1] ?? quoted[2] ?? '';
  if (name === '__proto__' || name === '<<') return undefined;
  return { name, length: quoted[0].trimEnd().length };
}

// A whole one-line value: a flow collection or a scalar, with nothing after it.
function inlineValue(text: string, at: number): { value: unknown; spot: Spot } {
  const reader = new FlowReader(text, at);
  const node = reader.value(0, false);
  if (reader.pos !== text.length) giveUp();
  return node;
}

/** Reads one line of flow content. */
class FlowReader {
  pos = 0;

  constructor(private readonly text: string, private readonly at: number) {}

  value(depth: number, inFlow: boolean): { value: unknown; spot: Spot } {
    if (depth > MAX_DEPTH) giveUp();
    const at = this.at + this.pos;
    const c = this.text[this.pos];
    if (c === '[') return this.sequence(at, depth);
    if (c === '{') return this.mapping(at, depth);
    if (c === '"' || c === "'") return { value: this.quoted(), spot: { at } };
    return { value: resolvePlain(this.plain(inFlow)), spot: { at } };
  }

  private sequence(at: number, depth: number): { value: unknown; spot: Spot } {
    const value: unknown[] = [];
    const items: Spot[] = [];
    this.pos++;
    this.skipSpaces();
    while (this.text[this.pos] !== ']') {
      const item = this.value(depth + 1, true);
      value.push(item.value);
      items.push(item.spot);
      this.separator(']');
    }
    this.pos++;
    return { value, spot: { at, items } };
  }

  private mapping(at: number, depth: number): { value: unknown; spot: Spot } {
    const value: Record<string, unknown> = {};
    const entries = new Map<string, Spot>();
    this.pos++;
    this.skipSpaces();
    while (this.text[this.pos] !== '}') {
      const keyAt = this.at + this.pos;
      const key = keyOf(this.text.slice(this.pos)) ?? giveUp();
      if (entries.has(key.name)) giveUp();
      this.pos += key.length;
      this.skipSpaces();
      if (this.text[this.pos] === ',' || this.text[this.pos] === '}') giveUp();
      const item = this.value(depth + 1, true);
      value[key.name] = item.value;
      entries.set(key.name, { ...item.spot, at: keyAt });
      this.separator('}');
    }
    this.pos++;
    return { value, spot: { at, entries } };
  }

  // After an entry: `, ` and another entry, or the closing bracket (no trailing comma).
  private separator(close: string): void {
    this.skipSpaces();
    if (this.text[this.pos] === close) return;
    if (this.text[this.pos] !== ',') giveUp();
    this.pos++;
    this.skipSpaces();
    if (this.text[this.pos] === close || this.pos >= this.text.length) giveUp();
  }

  private skipSpaces(): void {
    while (this.text[this.pos] === ' ') this.pos++;
    if (this.pos >= this.text.length) giveUp();
  }

  private quoted(): string {
    const quote = this.text[this.pos];
    const end = this.text.indexOf(quote ?? '', this.pos + 1);
    if (end === -1) giveUp();
    const body = this.text.slice(this.pos + 1, end);
    // Double quotes: no escapes; single quotes: no doubled quote ('').
    if ((quote === '"' && body.includes('\\')) || this.text[end + 1] === quote) giveUp();
    this.pos = end + 1;
    return body;
  }

  // A plain scalar: up to the end of the line, or in a flow collection up to `,` `]` `}`.
  private plain(inFlow: boolean): string {
    const rest = this.text.slice(this.pos);
    const first = rest[0] ?? '';
    if (first === '' || ' []{},:#&*!|>\'"%@`?'.includes(first) || /^-(?:[ ,[\]{}]|$)/.test(rest)) giveUp();
    const found = (inFlow ? (/^[^,[\]{}]*/.exec(rest)?.[0] ?? '') : rest).trimEnd();
    // `: ` would make it a key; in a flow collection any `:` is left to the library.
    if (inFlow ? found.includes(':') : /: |:$/.test(found)) giveUp();
    this.pos += found.length;
    return found;
  }
}

// The YAML 1.2 core schema as the `yaml` library applies it (its tests, in its order).
const CORE: readonly [RegExp, (text: string) => unknown][] = [
  [/^(?:~|[Nn]ull|NULL)?$/, () => null],
  [/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (s) => s[0] === 't' || s[0] === 'T'],
  [/^0o[0-7]+$/, (s) => parseInt(s.substring(2), 8)],
  [/^[-+]?[0-9]+$/, (s) => parseInt(s, 10)],
  [/^0x[0-9a-fA-F]+$/, (s) => parseInt(s.substring(2), 16)],
  [/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, (s) => (s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY)],
  [/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, (s) => parseFloat(s)],
  [/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/, (s) => parseFloat(s)],
];

/** The first characters a null, boolean or number of the core schema can have (or none: null). */
const CORE_STARTS = '~nNtTfF0123456789+-.';

/** A plain scalar's value by the core schema. */
export function resolvePlain(text: string): unknown {
  // Most scalars and every key start with another letter: a string, without trying each test.
  if (text !== '' && !CORE_STARTS.includes(text[0] ?? '')) return text;
  for (const [test, resolve] of CORE) if (test.test(text)) return resolve(text);
  return text;
}
