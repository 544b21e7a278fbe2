/** Renders a manifest directory in-process, as `tend render kubernetes` does, for the render tests. */
import { resolve } from 'node:path';
import { readManifestDir, type ManifestCache } from '../../src/manifest/load.ts';
import { renderSources } from '../../src/cli/render-sources.ts';
import type { RenderOptions, RenderResult, RenderSource } from '../../src/render/kubernetes/model.ts';
import { DEFAULT_WAIT_IMAGE, renderKubernetes } from '../../src/render/kubernetes/render.ts';

/** The sources of a valid manifest directory; throws with the diagnostics when it is not valid. */
export async function loadSources(dir: string): Promise<RenderSource[]> {
  const cache: ManifestCache = new Map();
  const set = await readManifestDir(dir, { cache, asRoot: false });
  if (!set.ok) throw set.error;
  if (!set.valid) throw new Error(set.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`).join('\n'));
  return renderSources(set.objects, cache, resolve(dir));
}

/** Renders a manifest directory with `--image registry.example/base:1` unless `options` say otherwise. */
export async function renderDir(dir: string, options: Partial<RenderOptions> = {}): Promise<RenderResult> {
  return renderKubernetes(await loadSources(dir), { image: 'registry.example/base:1', waitImage: DEFAULT_WAIT_IMAGE, ...options });
}
