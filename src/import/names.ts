/**
 * Source program names to tend object names (DNS-1123 labels) and source paths to manifest
 * paths. Pure: `node:path` computes, it does not touch the file system.
 */
import { relative, resolve } from 'node:path';
import type { ImportContext } from './types.ts';

/** `My_App.web` → `my-app-web`: lower case, anything else than a-z, 0-9 and `-` becomes `-`, at most 63. */
export function objectName(source: string): string {
  const name = source
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name === '' ? 'program' : name;
}

/**
 * A path of the source (relative to the source file's folder `dir`) as a manifest writes it:
 * relative to the output folder, or absolute when the manifests are printed.
 */
export function manifestPath(context: ImportContext, dir: string, path: string): string {
  const absolute = resolve(dir, path);
  if (context.outDir === undefined) return absolute;
  return relative(context.outDir, absolute) || '.';
}

/** `KEY=value` entries (Compose and process-compose lists) as [key, value]; `KEY` alone has no value. */
export function splitAssignment(text: string): [string, string | undefined] {
  const eq = text.indexOf('=');
  return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
}

/** True for a name tend's `env` accepts. */
export function isEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
