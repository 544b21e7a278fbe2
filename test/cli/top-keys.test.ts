import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initialTop, pressKey, splitKeys, type TopState } from '../../src/cli/top-keys.ts';

const rows = ['process/web', 'process/web', 'process/db'];
const press = (state: TopState, ...keys: string[]): TopState => keys.reduce((s, k) => pressKey(s, k, (i) => rows[i]), state);

void describe('tend top keys', () => {
  void it('s cycles the sort', () => {
    assert.deepEqual([press(initialTop('cpu'), 's').sort, press(initialTop('cpu'), 's', 's').sort, press(initialTop('cpu'), 's', 's', 's').sort], ['mem', 'name', 'cpu']);
  });

  void it('/ types a filter that Enter keeps and Esc clears', () => {
    const typed = press(initialTop('cpu'), '/', 'w', 'e', 'x', '\u007f', 'b', '\r');
    assert.equal(typed.filter, 'web');
    assert.equal(typed.editing, false);
    assert.equal(press(typed, '/', 'd', '\u001b').filter, '');
    assert.equal(press(initialTop('cpu'), '/', 'q').quit, false, 'q is text while typing');
  });

  void it('arrows select a row and Enter opens its object; Esc goes back', () => {
    const opened = press(initialTop('cpu'), '\u001b[B', '\u001b[B', '\r');
    assert.equal(opened.object, 'process/db');
    assert.equal(opened.selected, 0);
    assert.equal(press(opened, '\u001b').object, undefined);
    assert.equal(press(initialTop('cpu'), '\u001b[A').selected, 0, 'never above the first row');
  });

  void it('q and Ctrl-C quit', () => {
    assert.equal(press(initialTop('cpu'), 'q').quit, true);
    assert.equal(press(initialTop('cpu'), '/', '\u0003').quit, true);
  });

  void it('splits a chunk of input into keys', () => {
    assert.deepEqual(splitKeys('\u001b/ren\r'), ['\u001b', '/', 'r', 'e', 'n', '\r']);
    assert.deepEqual(splitKeys('\u001b[B\u001bOBq'), ['\u001b[B', '\u001b[B', 'q']);
  });
});
