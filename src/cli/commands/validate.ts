/**
 * `tend validate [FILES]`: schema and semantic checks of the manifest directory (or the named
 * files), every problem printed as `file:line:col: field.path: message`. Exit 0 valid, 2 invalid.
 */
import { formatDiagnostic } from '../../model/diagnostic.ts';
import { readManifestDir, readManifestFiles } from '../../manifest/load.ts';
import type { CliContext } from '../context.ts';
import { printData } from '../render/output.ts';

/** Runs `tend validate`. */
export async function run(ctx: CliContext, _values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const options = { asRoot: ctx.asRoot };
  const result = positionals.length > 0 ? await readManifestFiles(positionals, options) : await readManifestDir(ctx.dir, options);
  if ('ok' in result && !result.ok) {
    process.stderr.write(`tend: ${result.error.message}\n`);
    return 2;
  }
  const set = result as Exclude<typeof result, { ok: false }>;
  if (ctx.output !== 'table') {
    printData(ctx.output, { valid: set.valid, files: set.files.length, objects: set.objects.length, diagnostics: set.diagnostics });
  } else {
    for (const d of set.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    const errors = set.diagnostics.filter((d) => d.severity === 'error').length;
    const summary = set.valid
      ? `${set.objects.length} objects in ${set.files.length} files are valid\n`
      : `${errors} error${errors === 1 ? '' : 's'} in ${set.files.filter((f) => !f.ok).length} of ${set.files.length} files\n`;
    (set.valid ? process.stdout : process.stderr).write(summary);
  }
  return set.valid ? 0 : 2;
}
