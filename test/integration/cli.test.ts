/**
 * The command line as a person meets it: `-v`, `init` writing a starter that validates and runs,
 * bare names and did-you-mean for unknown objects (exit 1), `describe` in manifest form with only
 * its kind's fields, `up` printing a line per action (and nothing with `--quiet`), completion
 * scripts that the shells accept, and `service install` writing the unit.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, createWorld, itemOf, processManifest, waitFor, type World } from './harness.ts';

let world: World;

before(() => {
  world = createWorld();
});

after(() => world.cleanup());

test('-v and --version print the version', () => {
  const version = (JSON.parse(readFileSync(join(BIN, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  for (const flag of ['-v', '--version']) {
    const r = spawnSync(process.execPath, [BIN, flag], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, `tend ${version}\n`);
  }
});

test('init writes a starter that validates, and refuses to write over manifests', () => {
  const init = world.tend('init');
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /hello\.yaml/);
  const validate = world.tend('validate');
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(readFileSync(join(world.dir, 'hello.yaml'), 'utf8'), /\/healthz/);
  assert.equal(world.tend('init').code, 1);
});

test('up prints one line per action; objects answer to bare names; unknown ones exit 1 with a suggestion', async () => {
  world.write('db.yaml', processManifest('db', 'command: ["sleep", "1000"]', 'backoff: {initialDelay: 250ms}'));
  world.write('job.yaml', ['apiVersion: tend/v1', 'kind: Job', 'metadata: {name: migrate}', 'spec: {command: ["true"], activeDeadline: 5m}', ''].join('\n'));
  const up = spawn(process.execPath, [BIN, 'up', '-d', world.dir, '--state-dir', world.stateDir], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  up.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  try {
    await waitFor('db started line', () => /Started\s+process\/db db-0/.test(out));
    await waitFor('db ready', () => itemOf(world.items(), 'process/db').status.readyReplicas === 1);
    const describe = world.tend('describe', 'db');
    assert.equal(describe.code, 0, describe.stderr);
    assert.match(describe.stdout, /^ {2}backoff: +\{initialDelay: 250ms\}$/m, 'durations as written');
    const job = world.tend('describe', 'migrate').stdout;
    assert.match(job, /^ {2}activeDeadline: 5m$/m);
    assert.doesNotMatch(job, /replicas|restartPolicy|initialDelayMs/, 'only a Job\'s fields');
    const missing = world.tend('get', 'process/dbb');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /unknown object process\/dbb \(did you mean "process\/db"\?\)/);
    const wrongKind = world.tend('describe', 'process/migrate');
    assert.equal(wrongKind.code, 1);
    assert.match(wrongKind.stderr, /there is job\/migrate/);
    assert.equal(world.tend('restart', 'nosuch').code, 1);
    assert.equal(world.tend('get', 'db').code, 0);
  } finally {
    up.kill('SIGTERM');
    await new Promise((resolve) => up.once('exit', resolve));
  }
  assert.match(out, /Stopped|Exited|Stopping/);
});

test('up --quiet prints nothing per action', async () => {
  const up = spawn(process.execPath, [BIN, 'up', '--quiet', '-d', world.dir, '--state-dir', world.stateDir], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  up.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  try {
    await waitFor('db ready', () => itemOf(world.items(), 'process/db').status.readyReplicas === 1);
  } finally {
    up.kill('SIGTERM');
    await new Promise((resolve) => up.once('exit', resolve));
  }
  assert.equal(out, '');
});

test('completion scripts parse in their shells', () => {
  const bash = world.tend('completion', 'bash');
  assert.equal(bash.code, 0);
  assert.equal(spawnSync('bash', ['-n'], { input: bash.stdout }).status, 0);
  assert.match(bash.stdout, /complete -F _tend tend/);
  assert.match(world.tend('completion', 'fish').stdout, /complete -c tend .*-a describe/);
  assert.equal(world.tend('completion', 'tcsh').code, 2);
});

test('service install writes the unit for tend up -d DIR', () => {
  const unitDir = join(world.root, 'units');
  const r = world.tend('service', 'install', '--unit-dir', unitDir, '--user', 'root');
  assert.equal(r.code, 0, r.stderr);
  const unit = readFileSync(join(unitDir, 'tend.service'), 'utf8');
  assert.match(unit, new RegExp(`^ExecStart=${process.execPath} \\S+/bin/tend\\.js up --leave-running -d ${world.dir} --state-dir ${world.stateDir}$`, 'm'));
  assert.match(unit, /^KillMode=process$/m);
  assert.match(unit, /^Restart=on-failure$/m);
});
