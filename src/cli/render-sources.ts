/**
 * The loaded manifests as the Kubernetes renderer takes them: each object's spec as written,
 * a way to find its fields in its file, and its envFrom files as the loader read them. Reads
 * nothing itself: the texts come from the loader's cache of the same read, so positions and
 * values belong to one revision.
 */
import { dirname, relative, resolve } from 'node:path';
import { parseDotenv } from '../manifest/dotenv.ts';
import type { ManifestCache } from '../manifest/load.ts';
import { locate, parseManifestText, type ParsedDocument } from '../manifest/parse.ts';
import { TendError } from '../model/errors.ts';
import type { ManifestObject } from '../model/object.ts';
import type { EnvFileContent, RenderSource } from '../render/kubernetes/model.ts';

type Cached = ManifestCache extends Map<string, infer V> ? V : never;

/** The render sources of `objects` (in their order), from the cache filled while loading them. */
export function renderSources(objects: readonly ManifestObject[], cache: ManifestCache, manifestDir: string): RenderSource[] {
  const byFile = new Map<string, Cached>();
  for (const entry of cache.values()) byFile.set(entry.result.file, entry);
  const parsed = new Map<string, readonly ParsedDocument[]>();
  return objects.map((object) => {
    const entry = byFile.get(object.source.file);
    if (!entry) throw new TendError('InvariantViolation', `${object.source.file} was loaded but is not in the cache`);
    const documents = parsed.get(entry.result.file) ?? parseManifestText(entry.text, entry.result.file).documents;
    parsed.set(entry.result.file, documents);
    const doc = documents.find((d) => matches(d.value, object));
    if (!doc) throw new TendError('InvariantViolation', `${object.key} not found again in ${object.source.file}`);
    const value = doc.value as { spec: Record<string, unknown> };
    const absolute = resolve(object.source.file);
    return {
      kind: object.kind,
      name: object.name,
      labels: object.labels,
      spec: value.spec,
      file: object.source.file,
      sourcePath: relative(manifestDir, absolute),
      locate: (path) => locate(doc, path),
      envFiles: envFiles(object.kind === 'ProcessPool' ? (value.spec.template as Record<string, unknown>) : value.spec, dirname(absolute), entry),
    };
  });
}

function matches(value: unknown, object: ManifestObject): boolean {
  const doc = value as { kind?: unknown; metadata?: { name?: unknown } };
  return doc.kind === object.kind && doc.metadata?.name === object.name;
}

// Each envFrom file as read while loading; a file not read (or unparsable) counts as absent.
function envFiles(program: Record<string, unknown>, folder: string, entry: Cached): EnvFileContent[] {
  const list = (program.envFrom ?? []) as readonly { file: string }[];
  return list.map((item): EnvFileContent => {
    const path = resolve(folder, item.file);
    const read = entry.envReads.find((r) => r.path === path)?.read;
    const parsed = read?.ok ? parseDotenv(read.text) : undefined;
    return parsed?.ok ? { found: true, entries: parsed.entries } : { found: false };
  });
}
