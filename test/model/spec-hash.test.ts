/**
 * specHash: the values are pinned (they are written to state files and compared with what a
 * controller of another version recorded, so a change would restart every adopted program), and
 * the order of keys never matters.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { specHash } from '../../src/model/spec-hash.ts';

test('hashes as every earlier version did', () => {
  const pinned: [unknown, string][] = [
    [null, '74234e98afe7498f'],
    ['web', 'bde1489624c3f4f8'],
    [[0, -1.5, 1e21, 3], '5158792dd9b0b6bf'],
    [{ command: ['/bin/sleep', '60'], restartPolicy: 'Always', backoff: { strategy: 'fixed', initialDelay: 0, jitter: 0 }, env: { PORT: '8080', A: 'x' } }, '81d9d5bdb36ac67f'],
    [{ b: undefined, a: [undefined, null, { z: 1, y: undefined }] }, '3ba43a78324638a6'],
    [{ é: 1, Z: 2, a: 3, '10': 4, '9': 5, '': 6 }, 'af313ce43cb462d2'],
  ];
  for (const [value, hash] of pinned) assert.equal(specHash(value), hash, JSON.stringify(value));
});

test('the order of keys does not change the hash', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (record) => {
      const reversed = Object.fromEntries(Object.entries(record).reverse());
      assert.equal(specHash(reversed), specHash(record));
    }),
  );
});
