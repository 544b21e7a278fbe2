/**
 * The rotator's schedule: a quiet log file is looked at once a minute, not every tick, and a
 * file that outgrew its limit is rotated at its next look.
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogRotator } from '../../src/executor/local/log-rotator.ts';
import { logPaths } from '../../src/executor/local/log-files.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';

test('a quiet file waits a minute for its next look; then an outgrown file is rotated', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'tend-rotator-'));
  try {
    await mkdir(join(stateDir, 'logs'));
    const { out } = logPaths(stateDir, 'quiet-0');
    await writeFile(out, '');
    const clock = createFakeClock();
    const rotator = new LogRotator({
      clock,
      stateDir,
      list: () => [{ object: 'process/quiet', id: 'quiet-0', logs: { maxSizeBytes: 1000, maxFiles: 1 } }],
      onWarning: () => undefined,
    });
    rotator.ensure();
    clock.advance(10_000); // looks at 5 s and 10 s: no growth, so the next look is at 70 s
    await writeFile(out, 'x'.repeat(2000));
    clock.advance(55_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal((await stat(out)).size, 2000, 'not looked at before its time');
    clock.advance(5_000);
    const deadline = Date.now() + 5000;
    while ((await stat(out)).size !== 0) {
      assert.ok(Date.now() < deadline, 'rotated at the 70 s look');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal((await stat(`${out}.1`)).size, 2000);
    rotator.close();
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
});
