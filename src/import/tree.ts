/**
 * A source document as a tree of values with positions, whatever it was written in (YAML, JSON,
 * the literal part of a JavaScript file). `dynamic` marks a value that would need code to run.
 */

/** A value of a source document and where it starts (1-based). */
export type SourceNode =
  | { readonly t: 'map'; readonly line: number; readonly col: number; readonly entries: readonly SourceEntry[] }
  | { readonly t: 'seq'; readonly line: number; readonly col: number; readonly items: readonly SourceNode[] }
  | { readonly t: 'scalar'; readonly line: number; readonly col: number; readonly value: string | number | boolean | null }
  | { readonly t: 'dynamic'; readonly line: number; readonly col: number; readonly text: string };

/** A key of a map and its value. */
export interface SourceEntry {
  readonly key: string;
  readonly line: number;
  readonly value: SourceNode;
}

/** The value of `key` in a map node, if any. */
export function entryOf(node: SourceNode | undefined, key: string): SourceNode | undefined {
  return node?.t === 'map' ? node.entries.find((e) => e.key === key)?.value : undefined;
}

/** A scalar node's value as text (numbers and booleans written as in the source); undefined otherwise. */
export function scalarText(node: SourceNode | undefined): string | undefined {
  if (node?.t !== 'scalar' || node.value === null) return undefined;
  return String(node.value);
}

/** Plain data of a node; dynamic values become undefined. */
export function plainOf(node: SourceNode): unknown {
  switch (node.t) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(plainOf);
    case 'map':
      return Object.fromEntries(node.entries.map((e) => [e.key, plainOf(e.value)]));
    default:
      return undefined;
  }
}
