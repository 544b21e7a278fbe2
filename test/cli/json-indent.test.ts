/** indentJson gives what JSON.stringify(JSON.parse(text), null, 2) gives, without parsing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indentJson } from '../../src/cli/render/json-indent.ts';

const same = (value: unknown): void => assert.equal(indentJson(Buffer.from(JSON.stringify(value))).toString('utf8'), JSON.stringify(value, null, 2));

test('indents objects, lists, empty ones and scalars as JSON.stringify does', () => {
  same({ items: [] });
  same({ a: [1, {}, [], [[]], { b: null }], c: true, d: -1.5e-7, e: '' });
  same([]);
  same({});
  same('text');
  same(42);
  same([[{ x: [{}] }]]);
});

test('leaves punctuation inside strings alone, escapes included', () => {
  same({ 'key, with: {brackets}': 'value "quoted", [listed]: {x}', back: 'ends in \\', quote: '\\"', nl: 'a\nb\t\u0000', u: 'é ✓ 🙂' });
  same(['\\', '\\\\"', '"', ',', ':', '}']);
});

test('random values, as the CLI prints views', () => {
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const chars = ['a', '"', '\\', ',', ':', '{', '}', '[', ']', ' ', '\n', 'é'];
  const text = (): string => Array.from({ length: Math.floor(next() * 6) }, () => chars[Math.floor(next() * chars.length)]).join('');
  const value = (depth: number): unknown => {
    const pick = next();
    if (depth > 3 || pick < 0.3) return [null, true, false, Math.floor(next() * 1e6) / 100, text()][Math.floor(next() * 5)];
    if (pick < 0.65) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [text(), value(depth + 1)]));
  };
  for (let i = 0; i < 500; i++) same(value(0));
});

test('grows its buffer when the indent outgrows twice the input, and copies long strings whole', () => {
  let deep: unknown = [1];
  for (let i = 0; i < 60; i++) deep = [{ k: deep }];
  assert.ok(JSON.stringify(deep, null, 2).length > 2 * JSON.stringify(deep).length + 64);
  same(deep);
  same({ long: 'x'.repeat(70_000), escaped: `${'\\"'.repeat(40)}"`, near: 'y'.repeat(63), at: 'z'.repeat(64) });
});
