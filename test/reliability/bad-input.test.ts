/**
 * Bad input cannot take tend down: a generated corpus of several hundred bad manifests
 * (bad-corpus.ts) is fed to `validate` (in-process per file, then the CLI on all of them) and to
 * a running `tend up` beside a "keeper" process that must stay running. Reports how many bad
 * inputs were tried, how many got a positioned error (all), crashed (none) and stalled (none).
 * Needs `npm run build` (the CLI runs from dist/).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { readManifestFiles } from '../../src/manifest/load.ts';
import { alive, BIN, createWorld, exited, itemOf, processManifest, stderrOf, waitFor, type World } from '../integration/harness.ts';
import { badCorpus, KEEPER } from './bad-corpus.ts';

/** A file whose validation takes longer than this stalled the controller. */
const STALL_MS = 5_000;
const corpus = badCorpus();
const fileName = (i: number): string => `bad-${String(i).padStart(3, '0')}.yaml`;
const keeperText = processManifest(KEEPER, 'command: ["sleep", "100000"]');

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

test('validate refuses every bad manifest with a positioned error; none crashes or stalls it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tend-corpus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'keeper.yaml'), keeperText);
  const tally = { tried: 0, positioned: 0, crashed: [] as string[], stalled: [] as string[], unpositioned: [] as string[] };
  for (const [i, bad] of corpus.entries()) {
    writeFileSync(join(dir, fileName(i)), bad.bytes);
    tally.tried++;
    const started = Date.now();
    try {
      // Beside the keeper, so that redefining it counts as the duplicate it is.
      const set = await readManifestFiles(['keeper.yaml', fileName(i)], { cwd: dir, asRoot: false });
      const errors = set.diagnostics.filter((d) => d.file === fileName(i) && d.severity === 'error');
      const clear = errors.length > 0 && errors.every((d) => d.line >= 1 && d.col >= 1 && d.message.length > 0 && !/\n\s+at |call stack/.test(d.message));
      if (clear) tally.positioned++;
      else tally.unpositioned.push(bad.name);
    } catch (error) {
      tally.crashed.push(`${bad.name}: ${(error as Error).message}`);
    }
    if (Date.now() - started > STALL_MS) tally.stalled.push(bad.name);
  }
  const report = `bad inputs tried: ${tally.tried}; positioned error: ${tally.positioned}; crashed: ${tally.crashed.length}; stalled: ${tally.stalled.length}`;
  t.diagnostic(report);
  process.stdout.write(`# validate: ${report}\n`);
  assert.ok(tally.tried >= 300, report);
  assert.deepEqual(tally.crashed, []);
  assert.deepEqual(tally.stalled, []);
  assert.deepEqual(tally.unpositioned, []);

  // The CLI on all of them at once: exit 2, a positioned line per file, no stack trace.
  const files = corpus.map((_, i) => fileName(i));
  const cli = spawnSync(process.execPath, [BIN, 'validate', 'keeper.yaml', ...files], { cwd: dir, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  const output = `${cli.stdout}${cli.stderr}`;
  assert.equal(cli.status, 2, output.slice(-2000));
  assert.doesNotMatch(output, /^\s+at /m);
  const missing = files.filter((f) => !new RegExp(`^${f.replace('.', '\\.')}:\\d+:\\d+: `, 'm').test(output));
  assert.deepEqual(missing, []);
});

test('a running controller keeps its keeper running while the corpus is fed to it', { timeout: 600_000 }, async (t) => {
  const w = (world = createWorld());
  w.write('keeper.yaml', keeperText);
  const child = await w.up();
  await waitFor('the keeper to run', () => (itemOf(w.items(), `process/${KEEPER}`).instances[0]?.pid ?? null) !== null);
  const keeperPid = itemOf(w.items(), `process/${KEEPER}`).instances[0]?.pid ?? 0;
  for (const [i, bad] of corpus.entries()) writeFileSync(join(w.dir, fileName(i)), bad.bytes);
  const told = (i: number): boolean => stderrOf(child).includes(`${fileName(i)}:`);
  await waitFor('every bad file to be reported', () => corpus.every((_, i) => told(i)) || child.exitCode !== null, 300_000);
  const silent = corpus.flatMap((bad, i) => (told(i) ? [] : [bad.name]));
  const started = Date.now();
  const item = itemOf(w.items(), `process/${KEEPER}`);
  const getMs = Date.now() - started;
  const stderr = stderrOf(child);
  const eventBytes = statSync(join(w.stateDir, 'events.jsonl')).size;
  const report = `bad inputs fed to up: ${corpus.length}; reported with a position: ${corpus.length - silent.length}; controller alive: ${child.exitCode === null}; keeper pid unchanged: ${item.instances[0]?.pid === keeperPid}; tend get ${getMs} ms; events.jsonl ${eventBytes} bytes`;
  t.diagnostic(report);
  process.stdout.write(`# up: ${report}\n`);
  assert.equal(child.exitCode, null, stderr.slice(-3000));
  assert.deepEqual(silent, []);
  assert.equal(item.instances[0]?.pid, keeperPid, 'the keeper was not restarted or taken over');
  assert.ok(alive(keeperPid));
  assert.doesNotMatch(stderr, /^\s+at |InvariantViolation|Maximum call stack/m);
  child.kill('SIGTERM');
  assert.equal(await exited(child), 0);
  assert.ok(!alive(keeperPid), 'the keeper stopped with the controller');
});
