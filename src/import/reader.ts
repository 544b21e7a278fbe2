/**
 * Reads the fields of one source map and keeps account: each field is either taken (mapped),
 * dropped with a reason, or, when the mapper is done, reported as having no tend equivalent.
 * Nothing a source says is lost silently.
 */
import type { ImportDrop } from './types.ts';
import type { SourceEntry, SourceNode } from './tree.ts';

/** Collects drop reports and the mapped fields of one source file. */
export class Ledger {
  readonly drops: ImportDrop[] = [];
  private readonly fields = new Set<string>();
  constructor(readonly file: string) {}

  /** Reports `field` at `line` as not imported. */
  drop(line: number, field: string, why: string): void {
    this.fields.delete(field);
    this.drops.push({ file: this.file, line, field, why });
  }

  /** Counts `field` as carried over. */
  map(field: string): void {
    this.fields.add(field);
  }

  /** The fields carried over, as `FILE:field`. */
  get mapped(): string[] {
    return [...this.fields].map((f) => `${this.file}:${f}`);
  }
}

/** The fields of one map node, read once each. */
export class FieldReader {
  private readonly taken = new Set<string>();
  constructor(
    readonly node: Extract<SourceNode, { t: 'map' }>,
    /** Path of this map in the source, e.g. `apps[0]`. */
    readonly path: string,
    readonly ledger: Ledger,
  ) {}

  /** The source path of `key` in this map. */
  field(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  /** The entry for `key`, marking it mapped; undefined when absent. */
  take(key: string): SourceEntry | undefined {
    const entry = this.node.entries.find((e) => e.key === key);
    if (!entry || this.taken.has(key)) return undefined;
    this.taken.add(key);
    this.ledger.map(this.field(key));
    return entry;
  }

  /** Takes `key` as mapped when its value is `value` (what tend does anyway); else leaves it. */
  takeIf(key: string, value: string): void {
    const entry = this.node.entries.find((e) => e.key === key);
    if (entry?.value.t === 'scalar' && String(entry.value.value) === value) this.take(key);
  }

  /** True when the map has `key` (taken or not). */
  has(key: string): boolean {
    return this.node.entries.some((e) => e.key === key);
  }

  /** Marks `key` read and reports it as not imported. */
  drop(key: string, why: string): void {
    const entry = this.node.entries.find((e) => e.key === key);
    if (!entry || this.taken.has(key)) return;
    this.taken.add(key);
    this.ledger.drop(entry.line, this.field(key), why);
  }

  /** Reports a taken field whose value could not be used after all. */
  reject(entry: SourceEntry, why: string): void {
    this.ledger.drop(entry.line, this.field(entry.key), why);
  }

  /** A string (numbers are written as text) for `key`; reports any other value. */
  str(key: string): string | undefined {
    const entry = this.take(key);
    if (!entry) return undefined;
    const v = entry.value;
    if (v.t === 'scalar' && (typeof v.value === 'string' || typeof v.value === 'number')) return String(v.value);
    this.reject(entry, notUsable(v, 'a string'));
    return undefined;
  }

  /** A number for `key` (numeric strings accepted); reports any other value. */
  num(key: string): number | undefined {
    const entry = this.take(key);
    if (!entry) return undefined;
    const v = entry.value;
    const n = v.t === 'scalar' && v.value !== null && v.value !== '' && typeof v.value !== 'boolean' ? Number(v.value) : NaN;
    if (Number.isFinite(n)) return n;
    this.reject(entry, notUsable(v, 'a number'));
    return undefined;
  }

  /** A boolean for `key` (`true`/`false`/`yes`/`no`/`1`/`0` as text accepted); reports any other value. */
  bool(key: string): boolean | undefined {
    const entry = this.take(key);
    if (!entry) return undefined;
    const v = entry.value;
    const text = v.t === 'scalar' ? String(v.value).toLowerCase() : '';
    if (['true', 'yes', 'on', '1'].includes(text)) return true;
    if (['false', 'no', 'off', '0'].includes(text)) return false;
    this.reject(entry, notUsable(v, 'true or false'));
    return undefined;
  }

  /** The raw node for `key`, for values with several shapes. */
  raw(key: string): SourceNode | undefined {
    return this.take(key)?.value;
  }

  /** Reports every field not read yet as having no tend equivalent (or `why`). */
  rest(why: (key: string) => string = () => 'tend has no equivalent'): void {
    for (const entry of this.node.entries) if (!this.taken.has(entry.key)) this.drop(entry.key, why(entry.key));
  }
}

/** Why a value could not be used: a dynamic expression, or the wrong type. */
export function notUsable(node: SourceNode, expected: string): string {
  if (node.t === 'dynamic') return `computed at run time (${clip(node.text)}); only literal values are read, write the value itself`;
  return `expected ${expected}, got ${node.t === 'scalar' ? JSON.stringify(node.value) : `a ${node.t === 'map' ? 'map' : 'list'}`}`;
}

function clip(text: string): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > 40 ? `${one.slice(0, 37)}...` : one;
}
