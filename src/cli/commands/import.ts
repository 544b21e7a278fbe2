/**
 * `tend import FORMAT FILE... [-o DIR] [--strict] [--env NAME]`: turns PM2, Procfile, Compose,
 * process-compose and supervisord configurations into tend manifests. The importers are pure
 * (src/import/); this command reads the sources, prints every field not imported as
 * `FILE:LINE: field: not imported: why` with a summary, and writes one manifest per program to
 * DIR (checked with tend's own validation) or the stream to stdout. Exit 0 imported; 2 bad
 * usage, a source that does not parse, a manifest that does not validate, or any field not
 * imported under --strict.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { formatDiagnostic } from '../../model/diagnostic.ts';
import { ImportError } from '../../import/errors.ts';
import { renderObject, renderStream } from '../../import/render.ts';
import type { ImportContext, ImportedObject, ImportResult } from '../../import/types.ts';
import { IMPORT_FORMATS, isImportFormat, runImporter } from '../import-sources.ts';
import { UsageError, type CliContext } from '../context.ts';

/** Runs `tend import`. */
export async function run(_ctx: CliContext, values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const [format, ...files] = positionals;
  if (format === undefined || !isImportFormat(format)) throw new UsageError(`FORMAT must be one of ${IMPORT_FORMATS.join(', ')}${format ? ` (got "${format}")` : ''}`);
  if (files.length === 0) throw new UsageError(`name the ${format} file(s) to import`);
  if (values.env !== undefined && format !== 'pm2') throw new UsageError('--env picks a PM2 env_<name>; it applies to pm2 only');
  const out = typeof values.output === 'string' ? resolve(values.output) : undefined;
  const context: ImportContext = { outDir: out, envName: stringOption(values.env), env: envOf(process.env), cpus: availableParallelism() };
  let result: ImportResult;
  try {
    result = runImporter(format, files, context);
  } catch (error) {
    if (!(error instanceof ImportError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  return finish(format, result, { out, strict: values.strict === true, files: files.length });
}

async function finish(format: string, result: ImportResult, options: { out: string | undefined; strict: boolean; files: number }): Promise<number> {
  const clash = nameClash(result.objects);
  if (clash) {
    process.stderr.write(`${clash}\n`);
    return 2;
  }
  for (const d of sortedDrops(result)) process.stderr.write(`${d.file}:${d.line}: ${d.field}: not imported: ${d.why}\n`);
  const summary = `${result.objects.length} program${result.objects.length === 1 ? '' : 's'} imported from ${options.files} file${options.files === 1 ? '' : 's'}: ${result.mapped.length} field${result.mapped.length === 1 ? '' : 's'} mapped, ${result.drops.length} not imported`;
  if (options.strict && result.drops.length > 0) {
    process.stderr.write(`${summary}; --strict: nothing written\n`);
    return 2;
  }
  process.stderr.write(`${summary}\n`);
  if (options.out === undefined) {
    process.stdout.write(renderStream(result.objects, format));
    return 0;
  }
  return writeManifests(options.out, result.objects, format);
}

async function writeManifests(dir: string, objects: readonly ImportedObject[], format: string): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const paths = objects.map((o) => join(dir, `${o.name}.yaml`));
  objects.forEach((o, i) => writeFileSync(paths[i] ?? '', renderObject(o, format)));
  if (paths.length === 0) return 0;
  // The validators load only when there is something written to check.
  const { readManifestFiles } = await import('../../manifest/load.ts');
  const check = await readManifestFiles(paths);
  for (const d of check.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  return check.valid ? 0 : 2;
}

function nameClash(objects: readonly ImportedObject[]): string | undefined {
  const seen = new Map<string, ImportedObject>();
  for (const o of objects) {
    const first = seen.get(o.name);
    if (first) return `${o.source.file}:${o.source.line}: ${o.source.what} imports as "${o.name}", like ${first.source.file}:${first.source.line}; rename one of them`;
    seen.set(o.name, o);
  }
  return undefined;
}

// In the order of the files named, then by line.
function sortedDrops(result: ImportResult): ImportResult['drops'] {
  const files = [...new Set(result.drops.map((d) => d.file))];
  return [...result.drops].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line);
}

function stringOption(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function envOf(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
