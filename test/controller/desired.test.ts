import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bookFromObjects, mergeLoad, type FileOutcome } from '../../src/controller/desired.ts';
import type { ManifestObject } from '../../src/model/object.ts';

const object = (name: string, file: string): ManifestObject => ({
  kind: 'Process',
  name,
  key: `process/${name}`,
  labels: {},
  source: { file, line: 1, col: 1, uid: 0, gid: 0 },
  spec: {},
  specHash: name,
  contentHash: name,
});

const ok = (file: string, ...names: string[]): FileOutcome => ({ file, ok: true, empty: names.length === 0, objects: names.map((n) => object(n, file)) });
const broken = (file: string): FileOutcome => ({ file, ok: false, empty: false, objects: [] });

test('valid files give their objects', () => {
  const result = mergeLoad(new Map(), [ok('a.yaml', 'web'), ok('b.yaml', 'db')], 0, 300);
  assert.deepEqual([...result.objects.keys()].sort(), ['process/db', 'process/web']);
  assert.equal(result.wakeAt, undefined);
});

test('a broken file keeps its last valid objects while others apply', () => {
  const first = mergeLoad(new Map(), [ok('a.yaml', 'web'), ok('b.yaml', 'db')], 0, 300);
  const second = mergeLoad(first.book, [broken('a.yaml'), ok('b.yaml', 'db', 'cache')], 10, 300);
  assert.deepEqual([...second.objects.keys()].sort(), ['process/cache', 'process/db', 'process/web']);
});

test('a broken file that never was valid gives nothing', () => {
  const result = mergeLoad(new Map(), [broken('a.yaml')], 0, 300);
  assert.equal(result.objects.size, 0);
});

test('a vanished file keeps its objects for the grace period, then is pruned', () => {
  const first = mergeLoad(new Map(), [ok('a.yaml', 'web')], 0, 300);
  const during = mergeLoad(first.book, [], 100, 300);
  assert.ok(during.objects.has('process/web'));
  assert.equal(during.wakeAt, 400);
  const still = mergeLoad(during.book, [], 399, 300);
  assert.ok(still.objects.has('process/web'), 'grace counts from the first miss');
  const after = mergeLoad(still.book, [], 400, 300);
  assert.equal(after.objects.size, 0);
});

test('an emptied file is treated like a vanished one', () => {
  const first = mergeLoad(new Map(), [ok('a.yaml', 'web')], 0, 300);
  const during = mergeLoad(first.book, [ok('a.yaml')], 100, 300);
  assert.ok(during.objects.has('process/web'));
  const back = mergeLoad(during.book, [ok('a.yaml', 'web')], 200, 300);
  assert.equal(back.wakeAt, undefined, 'the file came back: no prune pending');
});

test('the first definition of a key in path order wins', () => {
  const result = mergeLoad(new Map(), [ok('b.yaml', 'web'), ok('a.yaml', 'web')], 0, 300);
  assert.equal(result.objects.get('process/web')?.source.file, 'a.yaml');
});

test('a book restored from objects groups them by file', () => {
  const book = bookFromObjects([object('web', 'a.yaml'), object('db', 'a.yaml'), object('x', 'b.yaml')]);
  assert.equal(book.get('a.yaml')?.objects.length, 2);
  assert.equal(mergeLoad(book, [broken('a.yaml'), broken('b.yaml')], 0, 300).objects.size, 3);
});
