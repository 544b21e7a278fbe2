/**
 * Answers serialised a piece at a time read exactly as `JSON.stringify` of the whole, and an item
 * is serialised once however often it is sent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodyText, itemsBody, jsonOf, JsonText } from '../../src/api/json-body.ts';

test('a list joined from kept fragments is JSON.stringify of the whole answer', () => {
  const items = [{ key: 'process/a', status: { phase: 'Running', n: 1.5 }, labels: { 'x"y': 'é\n' } }, { key: 'job/b', instances: [], none: null }];
  assert.equal(itemsBody(items).text, JSON.stringify({ items }));
  assert.equal(itemsBody([]).text, JSON.stringify({ items: [] }));
  assert.equal(bodyText({ ok: true }), '{"ok":true}');
  assert.equal(bodyText(new JsonText('{"a":1}')), '{"a":1}');
});

test('an item is serialised once: the fragment kept is the one sent again', () => {
  const item = { key: 'process/a', n: 1 };
  const first = jsonOf(item);
  (item as { n: number }).n = 2;
  assert.equal(jsonOf(item), first, 'items are not changed once serialised; the kept text is reused');
  assert.equal(jsonOf({ ...item }), '{"key":"process/a","n":2}');
});
