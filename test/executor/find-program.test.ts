/**
 * The program lookup a start through the spawn helper does before it asks the helper: found on
 * PATH in order, remembered for the next start, and looked up afresh once the remembered file is
 * gone or no longer executable. Real files in a temp folder.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { findProgram } from '../../src/executor/local/spawn-shim.ts';

const root = mkdtempSync(join(tmpdir(), 'tend-find-program-'));
after(() => rmSync(root, { recursive: true, force: true }));

function program(dir: string, name: string, mode = 0o755): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, mode);
  return path;
}

void it('finds the first executable on PATH and keeps finding it', () => {
  const [a, b] = [join(root, 'a'), join(root, 'b')];
  const inB = program(b, 'tool');
  program(a, 'tool', 0o644); // earlier on PATH, not executable
  const path = `${a}:${b}`;
  assert.equal(findProgram('tool', path, root), inB);
  assert.equal(findProgram('tool', path, root), inB);
});

void it('looks again once the remembered file is gone or not executable any more', () => {
  const [c, d] = [join(root, 'c'), join(root, 'd')];
  const inC = program(c, 'job');
  const inD = program(d, 'job');
  const path = `${c}:${d}`;
  assert.equal(findProgram('job', path, root), inC);
  rmSync(inC);
  assert.equal(findProgram('job', path, root), inD);
  chmodSync(inD, 0o644);
  assert.equal(findProgram('job', path, root), undefined);
});

void it('resolves a path with a folder from the working dir, not through PATH', () => {
  const work = join(root, 'work');
  const local = program(join(work, 'bin'), 'run');
  assert.equal(findProgram('bin/run', '/nonexistent', work), local);
  assert.equal(findProgram('./bin/run', '/nonexistent', root), undefined);
});
