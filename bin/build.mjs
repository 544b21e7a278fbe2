#!/usr/bin/env node
// `npm run build`: bundles the CLI with esbuild into CommonJS files in dist/cli/, one per command
// (bin/bundle-cli.mjs), writes the manifest validators next to them, builds the spawn helper,
// and writes the V8 code caches bin/tend.js compiles the bundles with (bin/train-code-cache.mjs).
// Dependencies (yaml, immer) are bundled too, which saves resolving and reading dozens
// of files on every call. CommonJS, not ES module chunks: Node's ES module loader alone costs a
// short command about a tenth of its start-up. Type checking is `npm run typecheck`; this step
// only transpiles.
//
// Output stays two folders below the project root (dist/cli/*.cjs), so paths the sources resolve
// from their own module (`../../schemas/…` in src/manifest/validators.ts) still point at the
// project's files.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from './bundle-cli.mjs';
import { trainCodeCaches } from './train-code-cache.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');

rmSync(join(root, 'dist'), { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
// The validators as plain functions (see src/manifest/validators.ts), generated from schemas/
// and bundled into the bundles that validate manifests.
const generated = spawnSync(process.execPath, ['--import', 'tsx', 'src/manifest/generate-validators.ts'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
if (generated.status !== 0) {
  process.stderr.write(generated.stderr);
  process.exit(1);
}
const validators = join(root, 'dist', 'validators.generated.cjs');
writeFileSync(validators, generated.stdout);
const bundles = await bundleCli(root, outdir, validators);
rmSync(validators);

// The spawn helper (src/executor/local/shim/tend-shim.c) as dist/tend-shim. Without a C compiler
// the build stays green: tend then starts programs directly and says so once when it runs.
// Linked statically where the C library allows it: each of the hundreds of idle shims then maps
// no dynamic loader and only the few pages of libc it calls, about 0.2 MB resident instead of
// 1.3 MB. Without a static libc (glibc-static not installed) it is linked dynamically.
const compiler = process.env.CC ?? 'cc';
const shimArgs = ['-O2', '-std=c99', '-Wall', '-o', join(root, 'dist', 'tend-shim'), join(root, 'src', 'executor', 'local', 'shim', 'tend-shim.c')];
const staticShim = spawnSync(compiler, ['-static', ...shimArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
const shim = staticShim.status === 0 ? staticShim : spawnSync(compiler, shimArgs, { stdio: 'inherit' });
if (shim.status !== 0) {
  process.stderr.write(`tend: ${compiler} could not build the spawn helper (${shim.error?.message ?? `exit ${shim.status}`}); tend will start programs directly\n`);
}

await trainCodeCaches(root, bundles);
