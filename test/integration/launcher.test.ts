/**
 * bin/tend, the `tend` command package.json installs: commands that never make a TLS connection
 * and never start a program run without NODE_EXTRA_CA_CERTS (Node would read its certificates at
 * start), so does `tend up` while its programs still inherit it, and the launcher works through a symlink, as
 * npm's bin link calls it. Node says on stderr at start when it cannot read the file the variable
 * names, which shows whether a process got the variable.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, createWorld, exited, waitFor, type World } from './harness.ts';

const LAUNCHER = join(BIN, '..', 'tend');
const CERTS_WARNING = /Ignoring extra certs from/;

let world: World;
let env: NodeJS.ProcessEnv;

before(() => {
  world = createWorld();
  // A file that does not exist: Node warns at start in every process that has the variable.
  env = { ...process.env, NO_COLOR: '1', NODE_EXTRA_CA_CERTS: join(world.root, 'no-such-bundle.pem') };
  delete env.TEND_STATE_DIR;
});

after(() => world.cleanup());

function run(file: string, args: readonly string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(file, args, { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('validate, get and --version run without NODE_EXTRA_CA_CERTS; node bin/tend.js keeps it', () => {
  world.write('web.yaml', 'apiVersion: tend/v1\nkind: Process\nmetadata: {name: web}\nspec:\n  command: [sleep, "60"]\n');
  const dirs = ['-d', world.dir, '--state-dir', world.stateDir];
  for (const args of [['validate', ...dirs], ['get', ...dirs], ['--version']]) {
    const launched = run(LAUNCHER, args);
    assert.equal(launched.code, 0, `bin/tend ${args.join(' ')}: ${launched.stderr}`);
    assert.doesNotMatch(launched.stderr, CERTS_WARNING, `bin/tend ${args[0] ?? ''}`);
    const direct = run(process.execPath, [BIN, ...args]);
    assert.equal(direct.stdout, launched.stdout, `the same output for ${args.join(' ')}`);
    assert.match(direct.stderr, CERTS_WARNING, 'node bin/tend.js starts with the variable');
  }
});

test('up starts without NODE_EXTRA_CA_CERTS, and its programs inherit it as it was', async () => {
  const out = join(world.root, 'seen-certs');
  const command = ['sh', '-c', `printf %s "$NODE_EXTRA_CA_CERTS|\${TEND_EXTRA_CA_CERTS-unset}" > ${out}.tmp && mv ${out}.tmp ${out}; exec sleep 60`];
  world.write('web.yaml', `apiVersion: tend/v1\nkind: Process\nmetadata: {name: web}\nspec:\n  command: ${JSON.stringify(command)}\n`);
  const up = spawn(LAUNCHER, ['up', '-d', world.dir, '--state-dir', world.stateDir], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  up.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await waitFor('the program to write what it inherited', () => existsSync(out), 30_000);
    assert.equal(readFileSync(out, 'utf8'), `${env.NODE_EXTRA_CA_CERTS}|unset`);
    assert.doesNotMatch(stderr, CERTS_WARNING, 'the controller itself started without the variable');
  } finally {
    up.kill('SIGTERM');
    await exited(up);
  }
});

test("works through a symlink, as npm's bin link runs it", () => {
  const bin = join(world.root, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(LAUNCHER, join(bin, 'tend'));
  const r = run(join(bin, 'tend'), ['--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^tend \d+\.\d+\.\d+\n$/);
});
