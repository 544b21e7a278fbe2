/**
 * The sweep of ended runs' files: they stay until SWEEP_MS after the first of a batch, then all
 * go in one sweep; a flush removes them at once; files already gone are no error.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { RunFileSweep, SWEEP_MS } from '../../src/executor/local/run-dir.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';

function runDir(tokens: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tend-sweep-'));
  for (const token of tokens) for (const ext of ['run', 'exit', 'order']) writeFileSync(join(dir, `${token}.${ext}`), '');
  return dir;
}

const left = (dir: string, token: string): string[] => ['run', 'exit', 'order'].filter((ext) => existsSync(join(dir, `${token}.${ext}`)));

void it('removes the files of every run added, together, SWEEP_MS after the first', () => {
  const dir = runDir(['a', 'b', 'c']);
  try {
    const clock = createFakeClock();
    const sweep = new RunFileSweep(dir, clock);
    sweep.add('a');
    clock.advance(SWEEP_MS - 1);
    sweep.add('b');
    assert.deepEqual(left(dir, 'a'), ['run', 'exit', 'order'], 'not yet');
    clock.advance(1);
    assert.deepEqual([left(dir, 'a'), left(dir, 'b')], [[], []], 'both in the one sweep');
    assert.deepEqual(left(dir, 'c'), ['run', 'exit', 'order'], 'a run not added stays');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void it('a flush removes what waits at once and cancels the sweep; gone files are no error', () => {
  const dir = runDir(['a']);
  try {
    const clock = createFakeClock();
    const sweep = new RunFileSweep(dir, clock);
    sweep.add('a');
    sweep.add('missing');
    sweep.flush();
    assert.deepEqual(left(dir, 'a'), []);
    writeFileSync(join(dir, 'a.run'), '');
    clock.advance(SWEEP_MS);
    assert.deepEqual(left(dir, 'a'), ['run'], 'the flushed sweep does not fire again');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
