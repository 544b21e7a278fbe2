import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { faultMessage } from '../../src/cli/fault-message.ts';
import { readStateFile } from '../../src/platform/state-file.ts';

void describe('readStateFile', () => {
  void it('sets aside a state.json that is a folder, like a corrupt file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-state-'));
    try {
      mkdirSync(join(dir, 'state.json'));
      const read = readStateFile(dir, (_v): _v is unknown => true, 42);
      assert.deepEqual(read, { kind: 'corrupt', movedTo: join(dir, 'state.json.corrupt-42'), error: 'it is a directory, not a file' });
      assert.ok(!existsSync(join(dir, 'state.json')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

void describe('faultMessage', () => {
  void it('gives an OS error one line with its fix', () => {
    const error = Object.assign(new Error("EACCES: permission denied, open '/var/lib/tend/x/lock'"), { code: 'EACCES' });
    assert.match(faultMessage(error) ?? '', /^EACCES: permission denied, open '\/var\/lib\/tend\/x\/lock' \(permission denied; run tend as the user/);
  });
  void it('leaves bugs alone, so they keep their stack', () => {
    assert.equal(faultMessage(new TypeError('x is undefined')), undefined);
  });
});
