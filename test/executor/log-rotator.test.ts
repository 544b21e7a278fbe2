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

test('quiet files that fell due at different moments share one pass a minute', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'tend-rotator-'));
  try {
    await mkdir(join(stateDir, 'logs'));
    for (const id of ['a-0', 'b-0']) await writeFile(logPaths(stateDir, id).out, '');
    const clock = createFakeClock();
    const logs = { maxSizeBytes: 1000, maxFiles: 1 };
    let listed = [{ object: 'process/a', id: 'a-0', logs }];
    let passes = 0;
    const rotator = new LogRotator({
      clock,
      stateDir,
      list: () => {
        passes += 1;
        return listed;
      },
      onWarning: () => undefined,
    });
    rotator.ensure();
    clock.advance(20_000);
    listed = [...listed, { object: 'process/b', id: 'b-0', logs }];
    rotator.ensure();
    clock.advance(100_000); // the two files' looks drift together
    passes = 0;
    clock.advance(180_000);
    assert.equal(passes, 3, 'one pass a minute for both files, not one per file');
    rotator.close();
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
});

test('an instance no longer listed is forgotten, and with none listed the timer stops', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'tend-rotator-'));
  try {
    const clock = createFakeClock();
    let listed = [{ object: 'process/a', id: 'a-0', logs: { maxSizeBytes: 1000, maxFiles: 1 } }];
    const rotator = new LogRotator({ clock, stateDir, list: () => listed, onWarning: () => undefined });
    rotator.ensure();
    clock.advance(10_000);
    assert.equal(clock.pending, 1, 'armed for the next look');
    listed = [];
    clock.advance(60_000);
    assert.equal(clock.pending, 0, 'nothing listed: no timer');
    rotator.close();
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
});
