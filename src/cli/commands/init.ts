/**
 * `tend init [-d DIR]`: writes a starter manifest directory: one commented Process (a small
 * HTTP server with a readiness probe on /healthz) and the program it runs. It validates as
 * written, so `tend up` runs it at once. Refuses a directory that already has manifests.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CliContext } from '../context.ts';
import { STARTER_FILES } from '../render/starter.ts';

/** Runs `tend init`. */
export function run(ctx: CliContext, values: Record<string, unknown>): Promise<number> {
  if (!values.force && hasManifests(ctx.dir)) {
    process.stderr.write(`tend: ${ctx.dir} already has manifests; use --force to add the starter files anyway\n`);
    return Promise.resolve(1);
  }
  for (const [file, text] of Object.entries(STARTER_FILES)) {
    const path = join(ctx.dir, file);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text, { flag: values.force ? 'w' : 'wx' });
    process.stdout.write(`wrote ${relative(process.cwd(), path) || path}\n`);
  }
  const dirFlag = relative(process.cwd(), ctx.dir) === 'manifests' ? '' : ` -d ${ctx.dir}`;
  process.stdout.write(`\nnext:\n  tend validate${dirFlag}\n  tend up${dirFlag}        # in another terminal: tend get${dirFlag}\n`);
  return Promise.resolve(0);
}

function hasManifests(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true }).some((f) => /\.ya?ml$/.test(String(f)));
}
