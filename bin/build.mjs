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
// Each instance has an idle shim, so its size counts hundreds of times. Built, in this order of
// preference, with musl (`musl-gcc`, Debian's musl-tools) statically: an 84 KB binary whose idle
// shim holds about 0.1 MB resident; with the system's libc statically (glibc: 0.8 MB, about
// 0.7 MB resident, most of it the binary's pages a fork maps again); dynamically (1.3 MB
// resident, the dynamic loader and the whole libc mapped). `CC` names one compiler to use.
const shimArgs = ['-O2', '-std=c99', '-Wall', '-o', join(root, 'dist', 'tend-shim'), join(root, 'src', 'executor', 'local', 'shim', 'tend-shim.c')];
const builds = process.env.CC
  ? [[process.env.CC, ['-static', ...shimArgs]], [process.env.CC, shimArgs]]
  : [['musl-gcc', ['-static', ...shimArgs]], ['cc', ['-static', ...shimArgs]], ['cc', shimArgs]];
let shim;
for (const [compiler, args] of builds) {
  shim = spawnSync(compiler, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (shim.status === 0) break;
}
if (shim.status !== 0) {
  const [compiler] = builds.at(-1);
  process.stderr.write(`tend: ${compiler} could not build the spawn helper (${shim.error?.message ?? `exit ${shim.status}`}); tend will start programs directly\n${shim.stderr ?? ''}`);
}

await trainCodeCaches(root, bundles);
