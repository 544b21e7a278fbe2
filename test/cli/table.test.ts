/**
 * The CLI's tables: columns padded to their widest cell, where colour codes take no room, so a
 * coloured STATUS lines up with plain ones.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paintStatus, visibleLength } from '../../src/cli/render/color.ts';
import { renderTable } from '../../src/cli/render/table.ts';

test('colour codes take no room', () => {
  assert.equal(visibleLength('Running'), 7);
  assert.notEqual(paintStatus('Running', true), 'Running');
  assert.equal(visibleLength(paintStatus('Running', true)), 7);
  assert.equal(visibleLength('\x1b[1;31mFailed\x1b[0m (x)'), 10);
});

test('columns line up with coloured and plain cells', () => {
  const table = renderTable(['NAME', 'STATUS', 'AGE'], [
    ['web', paintStatus('Running', true), '5s'],
    ['worker-long', 'Pending', '10m'],
  ]);
  // eslint-disable-next-line no-control-regex
  const plain = table.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  assert.deepEqual(plain, ['NAME         STATUS   AGE', 'web          Running  5s', 'worker-long  Pending  10m', '']);
});
