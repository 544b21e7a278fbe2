#!/usr/bin/env node
'use strict';
// Entry point: runs the command's bundle of the CLI (npm run build writes dist/cli/: NAME.cjs per
// command module, main.cjs for the rest, bundles.json saying which is which). A CommonJS script
// (bin/package.json says so): Node's ES module loader alone costs a short command about a tenth
// of its start-up. The bundle is compiled through the V8 code cache the build wrote for it
// (dist/cli/cache/NAME.bin), so a run deserialises the functions it needs instead of parsing and
// compiling them. A cache V8 refuses (another Node version, other V8 flags, a bundle rebuilt
// since) costs nothing but the compile it would have saved. TEND_CODE_CACHE=off compiles without
// the cache, TEND_CODE_CACHE=report says on stderr whether it was used, and
// TEND_CODE_CACHE_OUT=FILE writes one when the command ends (the build's training runs).
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Script } = require('node:vm');
const { createRequire } = require('node:module');

// The controller (`tend up`) runs for days with a small, steady heap: V8's young generation
// would otherwise grow to 16 MB per semi-space after the first burst of allocation (bring-up)
// and stay committed. Kept at its initial 1 MB, the controller stays about 14 MB smaller, for a
// few more (short) scavenges. Set before anything is allocated; short commands keep the default.
// A controller of thousands of objects lets it grow again (src/platform/young-generation.ts).
// Once allocation stops, V8's memory reducer shrinks the heap with up to three full collections in
// a row, again after every full collection the idle controller's slow allocation leads to: half
// its idle CPU. One collection takes nearly all there is to free (about 14 MB to 9 MB; the next
// two free a few hundred KB), so the controller asks for one.
if (process.argv[2] === 'up') require('node:v8').setFlagsFromString('--semi-space-growth-factor=1 --memory-reducer-single-gc');

// bin/tend starts `up` without NODE_EXTRA_CA_CERTS (Node would read every certificate of it as it
// starts); the variable is back before anything reads the environment, so the programs and hooks
// the controller starts inherit it, and an https probe reads the file itself.
if (process.env.TEND_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.TEND_EXTRA_CA_CERTS;
  delete process.env.TEND_EXTRA_CA_CERTS;
}

const dir = join(__dirname, '..', 'dist', 'cli');

function bundleOf(name) {
  const bundles = JSON.parse(readFileSync(join(dir, 'bundles.json'), 'utf8'));
  return Object.hasOwn(bundles, name) ? bundles[name] : 'main';
}

function cacheOf(bundle) {
  if (process.env.TEND_CODE_CACHE === 'off' || process.env.TEND_CODE_CACHE_OUT) return undefined;
  try {
    return readFileSync(join(dir, 'cache', `${bundle}.bin`));
  } catch {
    return undefined;
  }
}

// What Node's CommonJS loader does for the bundle, with the cache handed to V8.
function loadBundle(bundle) {
  const file = join(dir, `${bundle}.cjs`);
  // esbuild writes ASCII only (non-ASCII characters escaped): latin1 reads it without decoding.
  const source = readFileSync(file, 'latin1');
  const cachedData = cacheOf(bundle);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const out = process.env.TEND_CODE_CACHE_OUT;
  if (out) process.once('exit', () => writeFileSync(out, script.createCachedData()));
  if (process.env.TEND_CODE_CACHE === 'report') process.stderr.write(`tend: code cache ${cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'used'}\n`);
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dir);
  return module.exports;
}

loadBundle(bundleOf(process.argv[2]))
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`tend: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
