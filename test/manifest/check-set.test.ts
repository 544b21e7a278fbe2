import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkManifestSet } from '../../src/manifest/check-set.ts';
import { check, lines, processDoc } from './fixtures.ts';

const file = (name: string, text: string) => check(text, { file: `manifests/${name}` });
const dependsOn = (...targets: string[]): string[] => [
  'command: [x]',
  'dependsOn:',
  ...targets.map((t) => (t.includes('/') ? `  - {name: ${t.split('/')[1] ?? ''}, kind: Job}` : `  - {name: ${t}}`)),
];
const node = (name: string): string => ['apiVersion: tend/v1', 'kind: Node', `metadata: {name: ${name}}`, 'spec: {}', ''].join('\n');

void describe('checkManifestSet', () => {
  void it('keeps the first definition in path order and flags the later one at its name', () => {
    const set = checkManifestSet([file('a.yaml', processDoc('web')), file('b.yaml', `${processDoc('db')}---\n${processDoc('web')}`)]);
    assert.deepEqual(lines(set), [
      'manifests/b.yaml:11:5: metadata.name: process/web is already defined at manifests/a.yaml:4:5; the first definition in path order wins (rename this one or remove one of the two)',
    ]);
    assert.equal(set.diagnostics[0]?.code, 'DuplicateObject');
    assert.deepEqual(set.files.map((f) => f.ok), [true, false]);
    assert.deepEqual(set.objects.map((o) => `${o.key}@${o.source.file}`), ['process/web@manifests/a.yaml']);
    assert.equal(set.valid, false);
  });

  void it('keeps the running definition when an earlier-sorting file redefines it, and blames the newcomer', () => {
    const running = new Map([['process/web', 'manifests/b.yaml']] as const);
    const set = checkManifestSet([file('a.yaml', `${processDoc('api')}---\n${processDoc('web')}`), file('b.yaml', processDoc('web'))], running);
    assert.deepEqual(lines(set), [
      'manifests/a.yaml:11:5: metadata.name: process/web is already defined at manifests/b.yaml:4:5; the running definition is kept (rename this one or remove one of the two)',
    ]);
    assert.deepEqual(set.files.map((f) => f.ok), [false, true]);
    assert.deepEqual(set.objects.map((o) => `${o.key}@${o.source.file}`), ['process/web@manifests/b.yaml']);
  });

  void it('keeps the root-owned definition when a delegated file that sorts earlier takes its name', () => {
    const delegated = check(processDoc('web'), { file: 'manifests/apps/web.yaml', uid: 1001 });
    const root = check(processDoc('web'), { file: 'manifests/web.yaml', uid: 0 });
    const set = checkManifestSet([delegated, root]);
    assert.deepEqual(lines(set), [
      'manifests/apps/web.yaml:4:5: metadata.name: process/web is already defined at manifests/web.yaml:4:5; a root-owned definition wins over one owned by uid 1001 (rename this one or remove one of the two)',
    ]);
    assert.deepEqual(set.objects.map((o) => `${o.key}@${o.source.file}`), ['process/web@manifests/web.yaml']);
  });

  void it('allows the same name in different kinds', () => {
    const job = ['apiVersion: tend/v1', 'kind: Job', 'metadata: {name: web}', 'spec: {command: [x]}', ''].join('\n');
    const set = checkManifestSet([file('a.yaml', processDoc('web')), file('b.yaml', job)]);
    assert.deepEqual(set.objects.map((o) => o.key), ['process/web', 'job/web']);
    assert.equal(set.valid, true);
  });

  void it('refuses a Process and a ProcessPool of one name, since their instance ids would collide', () => {
    const pool = ['apiVersion: tend/v1', 'kind: ProcessPool', 'metadata: {name: web}', 'spec: {template: {command: [x]}}', ''].join('\n');
    const set = checkManifestSet([file('a.yaml', processDoc('web')), file('b.yaml', pool)]);
    assert.equal(set.diagnostics[0]?.code, 'DuplicateObject');
    assert.match(lines(set).join('\n'), /manifests\/b\.yaml:3:.*process\/web .* both would run instances web-0/);
    assert.deepEqual(set.objects.map((o) => o.key), ['process/web']);
  });

  void it('reports dependsOn targets that no manifest defines', () => {
    const set = checkManifestSet([file('web.yaml', processDoc('web', dependsOn('db', 'job/migrate'))), file('db.yaml', processDoc('db'))]);
    assert.deepEqual(lines(set), ['manifests/web.yaml:9:10: spec.dependsOn[1].name: job/migrate is not defined in any manifest']);
    assert.equal(set.diagnostics[0]?.code, 'UnknownDependency');
    assert.deepEqual(set.objects.map((o) => o.key), ['process/db']);
  });

  it('suggests a defined object of the same kind for a misspelt target', () => {
    const set = checkManifestSet([file('web.yaml', processDoc('web', dependsOn('dbb'))), file('db.yaml', processDoc('db'))]);
    assert.deepEqual(lines(set), ['manifests/web.yaml:8:10: spec.dependsOn[0].name: process/dbb is not defined in any manifest (did you mean "db"?)']);
  });

  void it('says to add the kind when the target exists only as another kind', () => {
    const job = ['apiVersion: tend/v1', 'kind: Job', 'metadata: {name: migrate}', 'spec: {command: [x]}', ''].join('\n');
    const set = checkManifestSet([file('web.yaml', processDoc('web', dependsOn('migrate'))), file('m.yaml', job)]);
    assert.deepEqual(lines(set), ['manifests/web.yaml:8:10: spec.dependsOn[0].name: process/migrate is not defined in any manifest; job/migrate is: add `kind: Job` to this dependsOn entry']);
  });

  void it('only warns about an unknown target while another file is broken', () => {
    const set = checkManifestSet([file('broken.yaml', 'spec: [\n'), file('web.yaml', processDoc('web', dependsOn('db')))]);
    const unknown = set.diagnostics.find((d) => d.code === 'UnknownDependency');
    assert.equal(unknown?.severity, 'warning');
    assert.deepEqual(set.files.map((f) => f.ok), [false, true]);
    assert.deepEqual(set.objects.map((o) => o.key), ['process/web']);
  });

  void it('refuses completed on a Process that restarts after every exit, and allows it on a one-shot', () => {
    const waitsFor = ['command: [x]', 'dependsOn: [{name: migrate, condition: completed}]'];
    const refused = checkManifestSet([file('web.yaml', processDoc('web', waitsFor)), file('m.yaml', processDoc('migrate'))]);
    assert.deepEqual(lines(refused), [
      'manifests/web.yaml:7:18: spec.dependsOn[0].name: process/migrate restarts after every exit (restartPolicy Always), so it never stays completed; give it restartPolicy: Never or OnFailure, or depend on it being started or ready',
    ]);
    assert.equal(refused.diagnostics[0]?.code, 'DependencyNeverCompletes');
    const oneShot = checkManifestSet([file('web.yaml', processDoc('web', waitsFor)), file('m.yaml', processDoc('migrate', ['command: [x]', 'restartPolicy: Never']))]);
    assert.equal(oneShot.valid, true);
  });

  void it('names dependency cycles, once per file involved', () => {
    const set = checkManifestSet([
      file('a.yaml', processDoc('a', dependsOn('b'))),
      file('b.yaml', processDoc('b', dependsOn('c'))),
      file('c.yaml', processDoc('c', dependsOn('a'))),
      file('d.yaml', processDoc('d', dependsOn('a'))),
    ]);
    assert.deepEqual(lines(set), [
      'manifests/a.yaml:8:10: spec.dependsOn[0].name: dependency cycle process/a -> process/b -> process/c -> process/a',
      'manifests/b.yaml:8:10: spec.dependsOn[0].name: dependency cycle process/b -> process/c -> process/a -> process/b',
      'manifests/c.yaml:8:10: spec.dependsOn[0].name: dependency cycle process/c -> process/a -> process/b -> process/c',
    ]);
    assert.ok(set.diagnostics.every((d) => d.code === 'DependencyCycle'));
    assert.deepEqual(set.objects.map((o) => o.key), ['process/d']);
  });

  void it('reports a cycle inside one file once, and a self-dependency', () => {
    const set = checkManifestSet([file('ab.yaml', `${processDoc('a', dependsOn('b'))}---\n${processDoc('b', dependsOn('a'))}`), file('s.yaml', processDoc('s', dependsOn('s')))]);
    assert.deepEqual(lines(set), [
      'manifests/ab.yaml:8:10: spec.dependsOn[0].name: dependency cycle process/a -> process/b -> process/a',
      'manifests/s.yaml:8:10: spec.dependsOn[0].name: dependency cycle process/s -> process/s',
    ]);
  });

  void it('allows at most one Node', () => {
    const set = checkManifestSet([file('node.yaml', node('local')), file('z.yaml', node('other'))]);
    assert.deepEqual(
      set.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.file, d.line, d.col, d.message]),
      [['MultipleNodes', 'manifests/z.yaml', 3, 12, 'only one Node is allowed; node/local is already defined at manifests/node.yaml:3:12']],
    );
    assert.deepEqual(set.objects.map((o) => o.key), ['node/local']);
  });
});
