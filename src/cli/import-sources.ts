/**
 * Reading the sources of `tend import`: the named files, the `.env` beside a Procfile, the
 * `[include]` files of a supervisord.conf and the `.env` Compose interpolates from. Then hands
 * the text to the pure importer of the format.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseDotenv } from '../manifest/dotenv.ts';
import { importCompose } from '../import/compose.ts';
import { ImportError } from '../import/errors.ts';
import { importPm2 } from '../import/pm2.ts';
import { importProcessCompose } from '../import/process-compose.ts';
import { importProcfile } from '../import/procfile.ts';
import { importSupervisord, supervisordIncludes } from '../import/supervisord.ts';
import type { ImportContext, ImportResult, SourceText } from '../import/types.ts';

/** The formats `tend import` reads. */
export const IMPORT_FORMATS = ['pm2', 'procfile', 'compose', 'process-compose', 'supervisord'] as const;
type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** True for a format name `tend import` knows. */
export function isImportFormat(name: string): name is ImportFormat {
  return (IMPORT_FORMATS as readonly string[]).includes(name);
}

/** Reads `files` and imports them as `format`; throws ImportError for a file that cannot be read. */
export function runImporter(format: ImportFormat, files: readonly string[], context: ImportContext): ImportResult {
  switch (format) {
    case 'pm2':
      return merge(files.map((f) => importPm2(readSource(f), context)));
    case 'process-compose':
      return merge(files.map((f) => importProcessCompose(readSource(f), context)));
    case 'compose':
      return merge(files.map((f) => importCompose(readSource(f), { ...context, env: { ...composeDotenv(f), ...context.env } })));
    case 'procfile':
      return importProcfile(readSource(files[0] ?? ''), procfileDotenv(files), context);
    case 'supervisord':
      return merge(files.map((f) => importSupervisord(withIncludes(readSource(f)), context)));
  }
}

function readSource(file: string): SourceText {
  const absolute = resolve(file);
  try {
    return { file, dir: dirname(absolute), text: readFileSync(absolute, 'utf8') };
  } catch (error) {
    throw new ImportError(file, 1, 1, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); name an existing file`);
  }
}

function merge(results: readonly ImportResult[]): ImportResult {
  return {
    objects: results.flatMap((r) => r.objects),
    drops: results.flatMap((r) => r.drops),
    mapped: results.flatMap((r) => r.mapped),
  };
}

// `tend import procfile Procfile [ENVFILE]`; without one, the `.env` beside the Procfile, as foreman reads it.
function procfileDotenv(files: readonly string[]): SourceText | undefined {
  const named = files[1];
  if (named !== undefined) return readSource(named);
  const beside = join(dirname(files[0] ?? '.'), '.env');
  return existsSync(beside) ? readSource(beside) : undefined;
}

// Compose interpolates `${VAR}` from the shell, then from the `.env` of the project folder.
function composeDotenv(file: string): Record<string, string> {
  const path = join(dirname(resolve(file)), '.env');
  if (!existsSync(path)) return {};
  const parsed = parseDotenv(readFileSync(path, 'utf8'));
  return parsed.ok ? Object.fromEntries(parsed.entries) : {};
}

// The main file, then every file its `[include]` names (recursively, each once), in glob order.
function withIncludes(main: SourceText): SourceText[] {
  const all: SourceText[] = [main];
  const seen = new Set([resolve(main.dir, basename(main.file))]);
  for (let i = 0; i < all.length; i += 1) {
    const source = all[i];
    if (!source) continue;
    for (const pattern of supervisordIncludes(source)) {
      for (const path of expandGlob(resolve(source.dir, pattern))) {
        if (seen.has(path)) continue;
        seen.add(path);
        all.push(readSource(relative(process.cwd(), path) || path));
      }
    }
  }
  return all;
}

// supervisord globs: wildcards (`*`, `?`, `[...]`) in the last part of the path.
function expandGlob(pattern: string): string[] {
  const dir = dirname(pattern);
  const name = basename(pattern);
  if (!/[*?[]/.test(name)) return existsSync(pattern) ? [pattern] : [];
  const regex = new RegExp(`^${name.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => regex.test(f)).sort().map((f) => join(dir, f));
}
