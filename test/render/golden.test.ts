/**
 * Golden files: the repository's examples and a fixture directory that uses every field of
 * every kind, rendered to Kubernetes objects and to not-rendered reports. Every object must
 * pass the Kubernetes schemas with unknown fields refused, and rendering must not depend on
 * the order the objects come in. `UPDATE_GOLDEN=1` rewrites the golden files.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { renderKubernetes } from '../../src/render/kubernetes/render.ts';
import { yamlStream } from '../../src/render/kubernetes/yaml-output.ts';
import { DEFAULT_WAIT_IMAGE } from '../../src/render/kubernetes/render.ts';
import { kubernetesSchemaErrors } from '../helpers/kube-schema.ts';
import { loadSources, renderDir } from '../helpers/render-dir.ts';

const CASES = [
  { name: 'examples', dir: 'manifests' },
  { name: 'every-field', dir: 'test/fixtures/render/every-field' },
];

function golden(path: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `${path} differs; run with UPDATE_GOLDEN=1 after checking the change`);
}

for (const { name, dir } of CASES) {
  describe(`render kubernetes: ${name}`, () => {
    test('objects match the golden file', async () => {
      const result = await renderDir(dir);
      assert.deepEqual(result.problems, []);
      golden(`test/fixtures/render/golden/${name}.yaml`, yamlStream(result.objects));
    });

    test('every unrendered field is reported with its place, as the golden file says', async () => {
      const result = await renderDir(dir);
      golden(`test/fixtures/render/golden/${name}.not-rendered.txt`, result.notRendered.map((n) => `${n.file}:${n.line}:${n.col}: ${n.field}: not rendered: ${n.why}\n`).join(''));
    });

    test('every object passes the Kubernetes 1.33 schema, unknown fields refused', async () => {
      const result = await renderDir(dir);
      const failures = result.objects.flatMap((o) => kubernetesSchemaErrors(o).map((e) => `${o.kind}/${o.metadata.name}${e}`));
      assert.deepEqual(failures, []);
    });

    test('the output does not depend on the order of the manifests', async () => {
      const sources = await loadSources(dir);
      const options = { image: 'registry.example/base:1', waitImage: DEFAULT_WAIT_IMAGE };
      const forward = yamlStream(renderKubernetes(sources, options).objects);
      const backward = yamlStream(renderKubernetes([...sources].reverse(), options).objects);
      assert.equal(backward, forward);
    });
  });
}

test('an unrendered field is recorded on its object in tend.dev/not-rendered', async () => {
  const result = await renderDir('test/fixtures/render/every-field');
  const api = result.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'api');
  const lines = api?.metadata.annotations?.['tend.dev/not-rendered']?.split('\n') ?? [];
  const reported = result.notRendered.filter((n) => n.object === 'process/api').map((n) => `${n.field}: ${n.why}`);
  assert.ok(reported.length > 10);
  assert.deepEqual(lines, reported);
});
