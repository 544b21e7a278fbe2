/**
 * The literal part of a JavaScript config file (PM2's `ecosystem.config.js`) as a source tree,
 * without running it. The file is parsed with acorn; the value of `module.exports = ...` (or
 * `export default ...`) is read where it is a literal: objects, arrays, strings, numbers,
 * booleans, null, template strings without `${}`, negative numbers, and names of top-level
 * `const`/`let`/`var` bound to such literals. Anything else (a call, `process.env.X`,
 * `__dirname`, a spread) becomes a `dynamic` node that the importer reports with its position.
 */
import { parse, type Node as AcornNode } from 'acorn';
import { ImportError } from './errors.ts';
import type { SourceEntry, SourceNode } from './tree.ts';

// acorn's ESTree nodes, as far as this file reads them.
interface EsNode extends AcornNode {
  [field: string]: unknown;
}

interface Scope {
  readonly bindings: ReadonlyMap<string, EsNode>;
  readonly text: string;
  readonly lineOf: (offset: number) => { line: number; col: number };
  readonly seen: Set<string>;
}

/** Parses `text` and returns the exported value as a tree; throws ImportError when there is none. */
export function jsTree(text: string, file: string): SourceNode {
  const program = parseProgram(text, file);
  const lineOf = lineIndex(text);
  const body = program.body as EsNode[];
  const scope: Scope = { bindings: topLevelBindings(body), text, lineOf, seen: new Set() };
  const exported = exportedValue(body);
  if (!exported) throw new ImportError(file, 1, 1, 'no `module.exports = {...}` or `export default {...}` found; export the configuration object');
  return toNode(exported, scope);
}

function parseProgram(text: string, file: string): EsNode {
  const options = { ecmaVersion: 'latest' as const, allowHashBang: true, locations: false, allowReturnOutsideFunction: true };
  try {
    return parse(text, { ...options, sourceType: 'module' }) as unknown as EsNode;
  } catch {
    try {
      return parse(text, { ...options, sourceType: 'script' }) as unknown as EsNode;
    } catch (error) {
      const loc = (error as { loc?: { line: number; column: number } }).loc;
      throw new ImportError(file, loc?.line ?? 1, (loc?.column ?? 0) + 1, `${(error as Error).message.replace(/ \(\d+:\d+\)$/, '')}; fix the JavaScript syntax`);
    }
  }
}

function lineIndex(text: string): (offset: number) => { line: number; col: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i += 1) if (text[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (starts[lo] ?? 0) + 1 };
  };
}

function topLevelBindings(body: readonly EsNode[]): Map<string, EsNode> {
  const bindings = new Map<string, EsNode>();
  for (const statement of body) {
    if (statement.type !== 'VariableDeclaration') continue;
    for (const d of statement.declarations as EsNode[]) {
      const id = d.id as EsNode;
      if (id.type === 'Identifier' && d.init) bindings.set(id.name as string, d.init as EsNode);
    }
  }
  return bindings;
}

// `module.exports = X`, `exports = module.exports = X` or `export default X`; the last one wins, as at run time.
function exportedValue(body: readonly EsNode[]): EsNode | undefined {
  let found: EsNode | undefined;
  for (const statement of body) {
    if (statement.type === 'ExportDefaultDeclaration') found = statement.declaration as EsNode;
    if (statement.type !== 'ExpressionStatement') continue;
    let expr = statement.expression as EsNode;
    while (expr.type === 'AssignmentExpression' && isModuleExports(expr.left as EsNode)) {
      found = expr.right as EsNode;
      expr = expr.right as EsNode;
    }
  }
  return found;
}

function isModuleExports(node: EsNode): boolean {
  if (node.type !== 'MemberExpression') return false;
  const object = node.object as EsNode;
  const property = node.property as EsNode;
  return object.type === 'Identifier' && object.name === 'module' && property.type === 'Identifier' && property.name === 'exports';
}

function toNode(node: EsNode, scope: Scope): SourceNode {
  const at = scope.lineOf(node.start);
  switch (node.type) {
    case 'ObjectExpression':
      return objectNode(node, scope, at);
    case 'ArrayExpression':
      return arrayNode(node, scope, at);
    case 'Literal':
      return literalNode(node, scope, at);
    case 'TemplateLiteral':
      if ((node.expressions as EsNode[]).length === 0) {
        const quasi = (node.quasis as EsNode[])[0];
        return { t: 'scalar', ...at, value: ((quasi?.value as { cooked: string }) ?? { cooked: '' }).cooked };
      }
      break;
    case 'UnaryExpression': {
      const arg = node.argument as EsNode;
      if (node.operator === '-' && arg.type === 'Literal' && typeof arg.value === 'number') return { t: 'scalar', ...at, value: -arg.value };
      break;
    }
    case 'Identifier':
      return identifierNode(node, scope, at);
  }
  return dynamic(node, scope, at);
}

function objectNode(node: EsNode, scope: Scope, at: { line: number; col: number }): SourceNode {
  const entries: SourceEntry[] = [];
  for (const prop of node.properties as EsNode[]) entries.push(...propertyEntries(prop, scope));
  // A later key wins, as in JavaScript (`{...defaults, port: 1}`).
  const last = new Map(entries.map((e, i) => [e.key, i]));
  return { t: 'map', ...at, entries: entries.filter((e, i) => last.get(e.key) === i) };
}

// A property, or the entries of a spread literal object; anything else is one dynamic entry.
function propertyEntries(prop: EsNode, scope: Scope): SourceEntry[] {
  const line = scope.lineOf(prop.start).line;
  if (prop.type === 'SpreadElement') {
    const spread = toNode(prop.argument as EsNode, scope);
    if (spread.t === 'map') return [...spread.entries];
  }
  const key = prop.type === 'Property' && !prop.computed ? propertyKey(prop.key as EsNode) : undefined;
  if (key === undefined) {
    const label = scope.text.slice(prop.start, prop.end).split(/[:(]/)[0]?.trim() ?? 'entry';
    return [{ key: `<${label}>`, line, value: dynamic(prop, scope, scope.lineOf(prop.start)) }];
  }
  const value = prop.kind === 'init' && !prop.method ? toNode(prop.value as EsNode, scope) : dynamic(prop, scope, scope.lineOf(prop.start));
  return [{ key, line, value }];
}

function propertyKey(key: EsNode): string | undefined {
  if (key.type === 'Identifier') return key.name as string;
  if (key.type === 'Literal' && (typeof key.value === 'string' || typeof key.value === 'number')) return String(key.value);
  return undefined;
}

function arrayNode(node: EsNode, scope: Scope, at: { line: number; col: number }): SourceNode {
  const items = (node.elements as (EsNode | null)[]).filter((e): e is EsNode => e !== null).map((e) => toNode(e, scope));
  return { t: 'seq', ...at, items };
}

function literalNode(node: EsNode, scope: Scope, at: { line: number; col: number }): SourceNode {
  const value = node.value;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) {
    if (!('regex' in node) && !('bigint' in node)) return { t: 'scalar', ...at, value };
  }
  return dynamic(node, scope, at);
}

function identifierNode(node: EsNode, scope: Scope, at: { line: number; col: number }): SourceNode {
  const name = node.name as string;
  if (name === 'undefined') return { t: 'scalar', ...at, value: null };
  const bound = scope.bindings.get(name);
  if (!bound || scope.seen.has(name)) return dynamic(node, scope, at);
  scope.seen.add(name);
  try {
    return toNode(bound, scope);
  } finally {
    scope.seen.delete(name);
  }
}

function dynamic(node: EsNode, scope: Scope, at: { line: number; col: number }): SourceNode {
  return { t: 'dynamic', ...at, text: scope.text.slice(node.start, node.end) };
}
