/**
 * Builds the spawn helper at `npm run build`: `cc -O2` of tend-shim.c into `dist/tend-shim`.
 * Without a C compiler it says so and leaves the build green: tend then starts programs
 * directly and says that once when it runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Run from dist/executor/local/shim/ after tsc; the C source stays in src/.
const SOURCE = fileURLToPath(new URL('../../../../src/executor/local/shim/tend-shim.c', import.meta.url));
const OUTPUT = fileURLToPath(new URL('../../../tend-shim', import.meta.url));

function buildShim(): number {
  if (!existsSync(SOURCE)) {
    process.stderr.write(`tend: ${SOURCE} not found; the spawn helper was not built\n`);
    return 0;
  }
  const compiler = process.env.CC ?? 'cc';
  const result = spawnSync(compiler, ['-O2', '-std=c99', '-Wall', '-o', OUTPUT, SOURCE], { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`tend: ${compiler} could not build the spawn helper (${result.error?.message ?? `exit ${result.status}`}); tend will start programs directly\n`);
  }
  return 0;
}

process.exitCode = buildShim();
