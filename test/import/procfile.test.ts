/** Procfiles: sh -c commands, foreman's PORT, the .env as envFrom, and every line accounted for. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importProcfile } from '../../src/import/procfile.ts';
import { assertAccounted, assertValid, CONTEXT, fixture, inline, specOf } from './helpers.ts';

test('every line of the Procfile and its .env is mapped or reported, and the output validates', () => {
  const procfile = fixture('procfile', 'Procfile');
  const result = importProcfile(procfile, fixture('procfile', '.env'), CONTEXT);
  const lines = procfile.text.split('\n').flatMap((l, i) => (l.trim() === '' || l.startsWith('#') ? [] : [`line ${i + 1}`]));
  assertAccounted(result, 'Procfile', lines);
  assert.ok(result.mapped.includes('Procfile:.env:RACK_ENV'));
  assertValid(result, 'procfile');
});

test('each process type runs through sh -c with PORT 5000, 5100, ... and the .env as envFrom', () => {
  const result = importProcfile(inline('Procfile', 'web: puma -p $PORT\nworker: sidekiq\n'), inline('.env', 'A=1\n'), CONTEXT);
  assert.deepEqual(specOf(result, 'web'), { command: 'puma -p $PORT', shell: true, workingDir: '..', env: { PORT: '5000' }, envFrom: [{ file: '../.env' }], restartPolicy: 'Always' });
  assert.deepEqual(specOf(result, 'worker').env, { PORT: '5100' });
});

test('a .env tend cannot read is reported with its line', () => {
  const result = importProcfile(inline('Procfile', 'web: x\n'), inline('.env', 'A=1\nnot a line\n'), CONTEXT);
  assert.deepEqual(result.drops.map((d) => `${d.file}:${d.line}`), ['.env:2']);
  assert.equal(specOf(result, 'web').envFrom, undefined);
});
