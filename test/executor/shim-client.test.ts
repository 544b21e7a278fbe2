/**
 * The helper connection with a stand-in helper (a Node script speaking the same frames): every
 * request of one turn is answered, those batched behind the first included, and so is a lone
 * request of a later turn (nothing is left corked in the pipe).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SEND_BATCH, ShimClient } from '../../src/executor/local/shim-client.ts';
import type { ShimRequest } from '../../src/executor/local/shim-protocol.ts';

const dir = mkdtempSync(join(tmpdir(), 'tend-shim-client-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Answers each frame `<id> ok <100+id> 1 99 - 1`.
const helper = join(dir, 'helper');
writeFileSync(helper, `#!${process.execPath}
let buffered = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  buffered = Buffer.concat([buffered, chunk]);
  while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32LE(0)) {
    const body = buffered.subarray(4, 4 + buffered.readUInt32LE(0)).toString();
    buffered = buffered.subarray(4 + buffered.readUInt32LE(0));
    const id = Number(body.split('\\0')[0].slice(1));
    process.stdout.write(id + ' ok ' + (100 + id) + ' 1 99 - 1\\n');
  }
});
`);
chmodSync(helper, 0o755);

const request: Omit<ShimRequest, 'id'> = { file: '/bin/true', argv: ['/bin/true'], env: { A: '1' }, cwd: '/', cgroups: [], runDir: dir, token: 't', meta: '{}' };

test('every request of a turn is answered, and a lone request of a later turn too', async () => {
  const client = new ShimClient(helper);
  const many = SEND_BATCH * 3 + 2;
  const answers = await Promise.all(Array.from({ length: many }, () => client.spawn(request)));
  assert.deepEqual(answers.map((a) => a.ok && a.pid), Array.from({ length: many }, (_, i) => 101 + i));
  await new Promise((resolve) => setImmediate(resolve));
  const lone = await client.spawn(request);
  assert.equal(lone.ok && lone.pid, 101 + many);
  client.close();
});
