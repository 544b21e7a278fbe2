/**
 * The dashboard's log tail: the last lines of an instance's two log files, read by name (a
 * neighbour whose id starts the same is not mixed in), undefined for an instance without logs
 * or a name that could leave the logs folder.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readLogTail } from '../../src/cli/log-tail.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'tend-log-tail-'));
const logs = join(stateDir, 'logs');
mkdirSync(logs);
writeFileSync(join(logs, 'web-1.out.log'), Array.from({ length: 300 }, (_, i) => `line ${i}`).join('\n') + '\n');
writeFileSync(join(logs, 'web-1.err.log'), 'oops\n');
writeFileSync(join(logs, 'web-10.out.log'), 'not web-1\n');
writeFileSync(join(stateDir, 'secret.out.log'), 'secret\n');
after(() => rmSync(stateDir, { recursive: true, force: true }));

void describe('readLogTail', () => {
  void it('gives the last lines of stdout and stderr of that instance only', () => {
    const tail = readLogTail(stateDir, 'web-1', 3);
    assert.deepEqual(tail, { instance: 'web-1', stdout: ['line 297', 'line 298', 'line 299'], stderr: ['oops'] });
  });

  void it('an instance with only one stream has the other empty', () => {
    assert.deepEqual(readLogTail(stateDir, 'web-10', 5), { instance: 'web-10', stdout: ['not web-1'], stderr: [] });
  });

  void it('is undefined without log files, and for names that are not instance ids', () => {
    assert.equal(readLogTail(stateDir, 'db-0', 5), undefined);
    assert.equal(readLogTail(stateDir, '../secret', 5), undefined);
    assert.equal(readLogTail(stateDir, '..', 5), undefined);
  });
});
