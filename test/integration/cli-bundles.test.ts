/**
 * What `npm run build` writes for the command line (bin/bundle-cli.mjs, bin/train-code-cache.mjs)
 * and how bin/tend.js runs it: every command of the table has a bundle that holds its own module,
 * each bundle has a code cache that V8 takes (written from that very bundle by the Node that runs
 * the tests), a run without the cache prints what a run with it prints, a spoiled or missing
 * cache only costs the compile, and an unsafe state dir
 * is still refused by the commands that fall back to the offline reader (its own bundle).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { COMMANDS } from '../../src/cli/command-table.ts';
import { BIN, createWorld, processManifest, type World } from './harness.ts';

const DIST = join(BIN, '..', '..', 'dist', 'cli');

let world: World;

before(() => {
  world = createWorld();
  world.write('web.yaml', processManifest('web', 'command: [sleep, "60"]'));
});

after(() => world.cleanup());

function tend(args: readonly string[], cache: 'report' | 'off' = 'report'): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TEND_CODE_CACHE: cache } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('every command runs from a bundle that holds its module', () => {
  const bundles = JSON.parse(readFileSync(join(DIST, 'bundles.json'), 'utf8')) as Record<string, string>;
  assert.deepEqual(Object.keys(bundles).sort(), Object.keys(COMMANDS).sort());
  for (const [name, bundle] of Object.entries(bundles)) {
    const text = readFileSync(join(DIST, `${bundle}.cjs`), 'latin1');
    assert.ok(text.includes(`"src/cli/commands/${bundle}.ts"`), `${bundle}.cjs holds src/cli/commands/${bundle}.ts (for tend ${name})`);
    assert.ok(!text.includes(`does not hold the command module ${bundle} `), `${bundle}.cjs does not stand in for its own module`);
  }
});

test('each bundle is compiled from its code cache', () => {
  const runs: [string[], string][] = [
    [['--version'], 'main'],
    [['validate', '-d', world.dir], 'validate'],
    [['get', '-d', world.dir, '--state-dir', world.stateDir], 'get'],
    ...Object.keys(COMMANDS).map((name): [string[], string] => [[name, '--help'], name]),
  ];
  for (const [args, label] of runs) {
    const r = tend(args);
    assert.equal(r.code, 0, `tend ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^tend: code cache used\n/, `the code cache of ${label}`);
  }
});

test('output is the same with and without the code cache', () => {
  for (const args of [['get', '-d', world.dir, '--state-dir', world.stateDir], ['validate', '-d', world.dir, '-o', 'json'], ['describe', 'web', '-d', world.dir, '--state-dir', world.stateDir], ['--help']]) {
    const cached = tend(args);
    const compiled = tend(args, 'off');
    assert.equal(compiled.code, cached.code);
    assert.equal(compiled.stdout, cached.stdout, `tend ${args.join(' ')}`);
    assert.equal(cached.stderr.replace(/^tend: code cache used\n/, ''), compiled.stderr);
  }
});

test('a cache V8 refuses, or none, only costs the compile', () => {
  // A copy of the package's files whose caches can be spoiled without touching the built ones.
  const copy = join(world.root, 'copy');
  for (const part of ['bin', 'dist', 'schemas', 'package.json']) cpSync(join(BIN, '..', '..', part), join(copy, part), { recursive: true });
  const bin = join(copy, 'bin', 'tend.js');
  const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TEND_CODE_CACHE: 'report' } });
  const expected = tend(['validate', '-d', world.dir]);
  const cache = join(copy, 'dist', 'cli', 'cache', 'validate.bin');
  writeFileSync(cache, Buffer.alloc(readFileSync(cache).length, 7));
  const spoiled = run(['validate', '-d', world.dir]);
  assert.equal(spoiled.status, 0, spoiled.stderr);
  assert.equal(spoiled.stdout, expected.stdout);
  assert.match(spoiled.stderr, /^tend: code cache rejected\n/);
  rmSync(cache);
  const absent = run(['validate', '-d', world.dir]);
  assert.equal(absent.stdout, expected.stdout);
  assert.match(absent.stderr, /^tend: code cache absent\n/);
});

test('a state dir others can write is refused by get, describe and diff (exit 2)', () => {
  const open = join(world.root, 'open-state');
  mkdirSync(open);
  chmodSync(open, 0o777);
  for (const command of ['get', 'describe web', 'diff']) {
    const r = tend([...command.split(' '), '-d', world.dir, '--state-dir', open], 'off');
    assert.equal(r.code, 2, `tend ${command}: ${r.stderr}`);
    assert.match(r.stderr, /^tend: refusing state dir .*open-state/);
  }
});
