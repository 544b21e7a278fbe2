#!/usr/bin/env node
// `npm run build`: bundles the CLI with esbuild into dist/cli/ and writes the manifest validators
// next to it. One entry (src/cli/main.ts) split at its dynamic imports, so each command loads
// only its own chunk and the chunks it shares; dependencies (yaml, immer) are bundled
// too, which saves resolving and reading dozens of files on every call. Type checking is
// `npm run typecheck`; this step only transpiles.
//
// Output stays two folders below the project root (dist/cli/*.js), so paths the sources resolve
// from their own module (`../../schemas/…` in src/manifest/validators.ts) still point at the
// project's files.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');

rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  // Bundled CommonJS code calls require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __tendRequire } from 'node:module'; const require = __tendRequire(import.meta.url);" },
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  logLevel: 'warning',
});

// The validators as plain functions (see src/manifest/validators.ts), generated from schemas/.
const generated = spawnSync(process.execPath, ['--import', 'tsx', 'src/manifest/generate-validators.ts'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
if (generated.status !== 0) {
  process.stderr.write(generated.stderr);
  process.exit(1);
}
writeFileSync(join(outdir, 'validators.generated.cjs'), generated.stdout);

// The spawn helper (src/executor/local/shim/tend-shim.c) as dist/tend-shim. Without a C compiler
// the build stays green: tend then starts programs directly and says so once when it runs.
const compiler = process.env.CC ?? 'cc';
const shim = spawnSync(compiler, ['-O2', '-std=c99', '-Wall', '-o', join(root, 'dist', 'tend-shim'), join(root, 'src', 'executor', 'local', 'shim', 'tend-shim.c')], { stdio: 'inherit' });
if (shim.status !== 0) {
  process.stderr.write(`tend: ${compiler} could not build the spawn helper (${shim.error?.message ?? `exit ${shim.status}`}); tend will start programs directly\n`);
}
