/**
 * `tend render kubernetes` as a real process: byte-identical output across runs and both
 * spellings, one file per object that real kubectl decodes offline, every unrendered field on
 * stderr with its place, exit codes for --strict, a missing image and bad usage, and an output
 * folder kept free of stale objects.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BIN } from './harness.ts';

const root = mkdtempSync(join(tmpdir(), 'tend-render-'));
after(() => rmSync(root, { recursive: true, force: true }));

function tend(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const noKubectl = kubectl.error || kubectl.status !== 0 ? 'kubectl is not installed (apt-get install -y kubectl)' : false;

function files(folder: string): Record<string, string> {
  return Object.fromEntries(readdirSync(folder).sort().map((name) => [name, readFileSync(join(folder, name), 'utf8')]));
}

for (const [name, dir] of [['examples', 'manifests'], ['every-field', 'test/fixtures/render/every-field']] as const) {
  describe(`render ${name}`, () => {
    const first = join(root, `${name}-1`);
    const second = join(root, `${name}-2`);

    test('two runs, in both spellings, write byte-identical files and stdout matches the golden file', () => {
      const a = tend('render', 'kubernetes', '-d', dir, '-o', first);
      const b = tend('render', '--target', 'kubernetes', '-d', dir, '-o', second);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      assert.deepEqual(files(second), files(first));
      assert.ok(Object.keys(files(first)).length >= 5);
      const stream = tend('render', 'kubernetes', '-d', dir);
      assert.equal(stream.stdout, readFileSync(`test/fixtures/render/golden/${name}.yaml`, 'utf8'));
    });

    test('stderr names every field that is not rendered, with its place', () => {
      const run = tend('render', 'kubernetes', '-d', dir);
      assert.equal(run.stderr, readFileSync(`test/fixtures/render/golden/${name}.not-rendered.txt`, 'utf8'));
      assert.match(run.stderr, /^[^:\n]+\.yaml:\d+:\d+: spec\.[^:]+: not rendered: .+$/m);
    });

    test('kubectl decodes every file offline', { skip: noKubectl }, () => {
      for (const file of readdirSync(first)) {
        const r = spawnSync('kubectl', ['annotate', '--local', '--dry-run=client', '-o', 'json', '-f', join(first, file), 'tend.dev/checked=yes'], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(r.status, 0, `${file}: ${r.stderr}`);
        const decoded = JSON.parse(r.stdout) as { kind: string; metadata: { name: string; annotations: Record<string, string> } };
        assert.equal(`${decoded.kind.toLowerCase()}-${decoded.metadata.name}.yaml`, file.slice(3), file);
        assert.equal(decoded.metadata.annotations['tend.dev/checked'], 'yes');
      }
    });
  });
}

test('--strict refuses any field that is not rendered and writes nothing', () => {
  const out = join(root, 'strict');
  const run = tend('render', 'kubernetes', '-d', 'manifests', '--image', 'img:1', '--strict', '-o', out);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--strict: 5 fields not rendered; nothing written/);
  assert.throws(() => statSync(out));
});

test('a program without an image is exit 2 with its place, and nothing is written', () => {
  const dir = join(root, 'no-image');
  mkdirSync(dir);
  writeFileSync(join(dir, 'web.yaml'), 'apiVersion: tend/v1\nkind: Process\nmetadata: {name: web}\nspec:\n  command: [web]\n');
  const run = tend('render', 'kubernetes', '-d', dir);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /no-image\/web\.yaml:4:1: error: process\/web: no container image: set spec\.image or pass --image$/m);
  assert.equal(run.stdout, '');
  assert.equal(tend('render', 'kubernetes', '-d', dir, '--image', 'web:1').code, 0);
});

test('bad usage and invalid manifests are exit 2', () => {
  assert.equal(tend('render', '-d', 'manifests').code, 2);
  assert.match(tend('render', 'helm', '-d', 'manifests').stderr, /unknown render target "helm"/);
  assert.match(tend('render', 'kubernetes', '-d', 'manifests', '--image', 'i', '--namespace', 'Shop_1').stderr, /--namespace must be a DNS-1123 label/);
  const bad = join(root, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'x.yaml'), 'apiVersion: tend/v1\nkind: Process\nmetadata: {name: x}\nspec: {command: [x], restartPolicy: always}\n');
  const run = tend('render', 'kubernetes', '-d', bad, '--image', 'img:1');
  assert.equal(run.code, 2);
  assert.match(run.stderr, /x\.yaml:4:\d+: spec\.restartPolicy/);
});

test('--namespace puts every namespaced object in the namespace, cluster objects stay out', () => {
  const run = tend('render', 'kubernetes', '-d', 'manifests', '--image', 'i:1', '--namespace', 'shop');
  assert.equal(run.code, 0, run.stderr);
  const docs = run.stdout.split(/^---\n/m).filter(Boolean);
  const namespaced = docs.filter((d) => /^ {2}namespace: shop$/m.test(d)).length;
  const cluster = docs.filter((d) => /^kind: PriorityClass$/m.test(d)).length;
  assert.equal(namespaced + cluster, docs.length);
  assert.match(run.stdout, /subjects:\n {2}- kind: ServiceAccount\n {4}name: tend-wait\n {4}namespace: shop/);
});

test('the output folder loses stale rendered files, keeps other files, and keeps Secrets private', () => {
  const dir = join(root, 'stale-manifests');
  const out = join(root, 'stale-out');
  mkdirSync(dir);
  writeFileSync(join(dir, 'a.yaml'), 'apiVersion: tend/v1\nkind: Process\nmetadata: {name: a}\nspec: {command: [a], env: {K: {value: v, secret: true}}}\n');
  writeFileSync(join(dir, 'b.yaml'), 'apiVersion: tend/v1\nkind: Process\nmetadata: {name: b}\nspec: {command: [b]}\n');
  assert.equal(tend('render', 'kubernetes', '-d', dir, '--image', 'img:1', '-o', out).code, 0);
  writeFileSync(join(out, 'kustomization.yaml'), 'resources: []\n');
  assert.ok(readdirSync(out).includes('07-deployment-b.yaml'));
  assert.equal(statSync(join(out, '05-secret-process-a-env.yaml')).mode & 0o777, 0o600);
  rmSync(join(dir, 'b.yaml'));
  assert.equal(tend('render', 'kubernetes', '-d', dir, '--image', 'img:1', '-o', out).code, 0);
  assert.deepEqual(readdirSync(out).sort(), ['00-priorityclass-tend-normal.yaml', '05-secret-process-a-env.yaml', '07-deployment-a.yaml', 'kustomization.yaml']);
});
