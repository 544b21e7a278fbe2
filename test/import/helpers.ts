/**
 * Shared by the importer tests: reading the fixtures of test/fixtures/import/, a fixed import
 * context, checking rendered manifests with tend's own validation, and listing every field of a
 * source tree so a test can prove each one is mapped or reported.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateManifestText } from '../../src/manifest/validate.ts';
import { renderObject } from '../../src/import/render.ts';
import type { SourceNode } from '../../src/import/tree.ts';
import type { ImportContext, ImportResult, SourceText } from '../../src/import/types.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'import');

/** A fixture file as the CLI hands it over (`file` relative to its format's folder). */
export function fixture(format: string, file: string): SourceText {
  const dir = join(ROOT, format);
  return { file, dir: dirname(join(dir, file)), text: readFileSync(join(dir, file), 'utf8') };
}

/** An inline source in /srv/app. */
export function inline(file: string, text: string): SourceText {
  return { file, dir: '/srv/app', text };
}

/** Output to /srv/app/manifests, 4 cores, an empty environment. */
export const CONTEXT: ImportContext = { outDir: '/srv/app/manifests', envName: undefined, env: {}, cpus: 4 };

/** Asserts every object renders to a manifest tend's validation accepts. */
export function assertValid(result: ImportResult, format: string): void {
  for (const object of result.objects) {
    const text = renderObject(object, format);
    const checked = validateManifestText(text, { file: `${object.name}.yaml`, dir: '/srv/app/manifests', uid: 0, gid: 0, readEnvFile: () => ({ ok: true, text: '' }) });
    assert.deepEqual(checked.diagnostics.filter((d) => d.severity === 'error'), [], text);
  }
}

/** The spec of the object `name`. */
export function specOf(result: ImportResult, name: string): Record<string, unknown> {
  const object = result.objects.find((o) => o.name === name);
  assert.ok(object, `no object ${name} in ${result.objects.map((o) => o.name).join(', ')}`);
  return object.spec;
}

/** Dotted paths of every map key in `node`, below `prefix`, not descending into `leaves`. */
export function fieldPaths(node: SourceNode, prefix: string, leaves: ReadonlySet<string>): string[] {
  if (node.t === 'seq') return node.items.flatMap((item, i) => (item.t === 'map' ? fieldPaths(item, `${prefix}[${i}]`, leaves) : []));
  if (node.t !== 'map') return [];
  return node.entries.flatMap((e) => {
    const path = prefix === '' ? e.key : `${prefix}.${e.key}`;
    return leaves.has(e.key) ? [path] : [path, ...fieldPaths(e.value, path, leaves)];
  });
}

/**
 * Asserts each of `paths` is mapped or reported: the field itself, or (for a field inside
 * another) a parent that was reported as a whole or is in `leaves` (a value read whole, such as
 * an environment map).
 */
export function assertAccounted(result: ImportResult, file: string, paths: readonly string[]): void {
  const mapped = new Set(result.mapped.filter((m) => m.startsWith(`${file}:`)).map((m) => m.slice(file.length + 1)));
  const dropped = new Set(result.drops.filter((d) => d.file === file).map((d) => d.field));
  const parents = (path: string): string[] => {
    const out: string[] = [];
    for (let i = path.length - 1; i > 0; i -= 1) if (path[i] === '.' || path[i] === '[') out.push(path.slice(0, i));
    return out;
  };
  const missing = paths.filter((p) => !mapped.has(p) && !dropped.has(p) && !parents(p).some((q) => dropped.has(q)));
  assert.deepEqual(missing, [], `fields neither mapped nor reported in ${file}`);
}
