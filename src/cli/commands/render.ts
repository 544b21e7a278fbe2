/**
 * `tend render kubernetes [-d DIR] [-o OUTDIR] [--namespace NS] [--image IMAGE] [--strict]`
 * (also `tend render --target kubernetes`): the manifests as Kubernetes objects, a YAML stream
 * on stdout or one file per object in OUTDIR. Every field without a faithful Kubernetes form
 * is reported on stderr as `file:line:col: field: not rendered: why`. Exit 0 ok; 2 invalid
 * manifests, usage, a program without an image, or (with --strict) any field not rendered;
 * then nothing is written.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostic } from '../../model/diagnostic.ts';
import { readManifestDir, type ManifestCache } from '../../manifest/load.ts';
import type { KubeObject, RenderResult } from '../../render/kubernetes/model.ts';
import { DEFAULT_WAIT_IMAGE, renderKubernetes } from '../../render/kubernetes/render.ts';
import { objectFileName, objectYaml, yamlStream } from '../../render/kubernetes/yaml-output.ts';
import { UsageError, type CliContext } from '../context.ts';
import { renderSources } from '../render-sources.ts';

/** The first line of every file `-o` writes; a file starting with it is tend's to replace or remove. */
const FILE_MARK = '# Rendered by tend render kubernetes';

/** Runs `tend render`. */
export async function run(ctx: CliContext, values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const target = targetOf(values.target, positionals);
  if (target !== 'kubernetes') throw new UsageError(`unknown render target "${target}" (the only target is kubernetes)`);
  const namespace = typeof values.namespace === 'string' ? values.namespace : undefined;
  if (namespace !== undefined && !/^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
    throw new UsageError(`--namespace must be a DNS-1123 label like shop or team-a (got "${namespace}")`);
  }
  const cache: ManifestCache = new Map();
  const set = await readManifestDir(ctx.dir, { asRoot: ctx.asRoot, cache });
  if (!set.ok) {
    process.stderr.write(`tend: ${set.error.message}\n`);
    return 2;
  }
  for (const d of set.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!set.valid) return 2;
  const result = renderKubernetes(renderSources(set.objects, cache, ctx.dir), {
    ...(namespace ? { namespace } : {}),
    ...(typeof values.image === 'string' ? { image: values.image } : {}),
    waitImage: typeof values['wait-image'] === 'string' ? values['wait-image'] : DEFAULT_WAIT_IMAGE,
  });
  report(result);
  if (result.problems.length > 0) return 2;
  if (values.strict === true && result.notRendered.length > 0) {
    process.stderr.write(`tend: --strict: ${result.notRendered.length} field${result.notRendered.length === 1 ? '' : 's'} not rendered; nothing written\n`);
    return 2;
  }
  if (typeof values.output === 'string') writeFolder(values.output, result.objects);
  else process.stdout.write(yamlStream(result.objects));
  return 0;
}

function targetOf(option: unknown, positionals: readonly string[]): string {
  if (positionals.length > 1 || (typeof option === 'string' && positionals.length > 0)) throw new UsageError('name one target: tend render kubernetes');
  const target = typeof option === 'string' ? option : positionals[0];
  if (target === undefined) throw new UsageError('name the target: tend render kubernetes');
  return target;
}

function report(result: RenderResult): void {
  const lines = [
    ...result.problems.map((p) => `${p.file}:${p.line}:${p.col}: error: ${p.message}`),
    ...result.notRendered.map((n) => `${n.file}:${n.line}:${n.col}: ${n.field}: not rendered: ${n.why}`),
  ];
  if (lines.length > 0) process.stderr.write(`${lines.join('\n')}\n`);
}

// One file per object; earlier rendered files that no object writes any more are removed.
function writeFolder(folder: string, objects: readonly KubeObject[]): void {
  mkdirSync(folder, { recursive: true });
  const written = new Set<string>();
  for (const object of objects) {
    const name = objectFileName(object);
    const path = join(folder, name);
    const source = object.metadata.annotations?.['tend.dev/source'];
    writeFileSync(path, `${FILE_MARK}${source ? ` from ${source}` : ''}; edit the manifest instead.\n${objectYaml(object)}`, { mode: 0o600 });
    chmodSync(path, object.kind === 'Secret' ? 0o600 : 0o644);
    written.add(name);
  }
  for (const name of readdirSync(folder)) {
    if (written.has(name) || !name.endsWith('.yaml')) continue;
    const path = join(folder, name);
    if (readFileSync(path, 'utf8').startsWith(FILE_MARK)) rmSync(path);
  }
}
