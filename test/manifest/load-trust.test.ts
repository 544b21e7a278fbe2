/**
 * Reading manifests with the trust rules: whose a file is when links are involved, where its
 * relative paths resolve, a file reached twice, a manifest directory others could swap, and
 * `user:` in a file root does not own. Owner changes need root; those cases skip otherwise.
 */
import assert from 'node:assert/strict';
import { chmod, chown, lchown, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readManifestDir } from '../../src/manifest/load.ts';
import type { ReadManifestDirResult } from '../../src/manifest/load.ts';
import type { ProcessSpec } from '../../src/model/object.ts';
import { lines, processDoc } from './fixtures.ts';

const isRoot = process.getuid?.() === 0;
const needsRoot = isRoot ? false : 'changing owners needs root';
const USER = 4242;

let tmp = '';
before(async () => {
  tmp = await realpath(await mkdtemp(join(tmpdir(), 'tend-trust-')));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function tree(name: string, files: Readonly<Record<string, string>>): Promise<string> {
  const root = join(tmp, name);
  await mkdir(root, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

function ok(result: ReadManifestDirResult): Extract<ReadManifestDirResult, { ok: true }> {
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result;
}

const web = processDoc('web', ['command: [node, server.js]', 'workingDir: ./apps/web']);

void describe('relative paths of a symlinked manifest', () => {
  void it("resolve against the real file's folder, not the link's", async () => {
    const shared = await tree('rel-shared', { 'web.yaml': web });
    const root = await tree('rel', {});
    await mkdir(join(root, 'team'));
    await symlink(join(shared, 'web.yaml'), join(root, 'team', 'web.yaml'));
    const result = ok(await readManifestDir(root, { cwd: tmp, asRoot: false }));
    assert.equal((result.objects[0]?.spec as ProcessSpec).workingDir, join(shared, 'apps', 'web'));
  });

  void it('inside the manifest directory, are seen through the directory as named', async () => {
    const revision = await tree('rel-rev', { 'base/web.yaml': web });
    await symlink('base/web.yaml', join(revision, 'linked.yaml'));
    const current = join(tmp, 'rel-current');
    await symlink(revision, current);
    const result = ok(await readManifestDir(current, { cwd: tmp, asRoot: false }));
    assert.deepEqual(result.objects.map((o) => (o.spec as ProcessSpec).workingDir), [join(current, 'base', 'apps', 'web')]);
    assert.deepEqual(lines(result), ['rel-current/linked.yaml:1:1: warning: this is the same file as rel-current/base/web.yaml, which is read instead (remove one of the two paths)']);
  });
});

void describe('relative paths under a symlinked folder', () => {
  void it('resolve through the folder link, so swapping it alone changes no program', async () => {
    const root = await tree('folder-link', { '.rev1/web.yaml': web, '.rev2/web.yaml': web });
    await symlink('.rev1', join(root, 'current'));
    const first = ok(await readManifestDir(root, { cwd: tmp, asRoot: false }));
    await rm(join(root, 'current'));
    await symlink('.rev2', join(root, 'current'));
    const second = ok(await readManifestDir(root, { cwd: tmp, asRoot: false }));
    const dirs = [first, second].map((r) => (r.objects[0]?.spec as ProcessSpec).workingDir);
    assert.deepEqual(dirs, [join(root, 'current', 'apps', 'web'), join(root, 'current', 'apps', 'web')]);
  });
});

void describe('as root', () => {
  void it("a user's link to root's file runs as the user, in root's folder", { skip: needsRoot }, async () => {
    const outside = await tree('link-out', { 'web.yaml': web });
    const root = await tree('link', { 'own.yaml': processDoc('own') });
    await mkdir(join(root, 'team'));
    await chown(join(root, 'team'), USER, USER);
    await writeFile(join(root, 'team', 'apps-web-server.js'), 'planted');
    await symlink(join(outside, 'web.yaml'), join(root, 'team', 'web.yaml'));
    await lchown(join(root, 'team', 'web.yaml'), USER, USER);
    const result = ok(await readManifestDir(root, { cwd: tmp, asRoot: true }));
    assert.deepEqual(lines(result), []);
    const linked = result.objects.find((o) => o.name === 'web');
    assert.deepEqual([linked?.source.uid, linked?.source.gid], [USER, USER]);
    assert.equal((linked?.spec as ProcessSpec).workingDir, join(outside, 'apps', 'web'));
    assert.equal(result.objects.find((o) => o.name === 'own')?.source.uid, 0);
  });

  void it("root's file linked into a user's folder in the same tree is read once, as root's", { skip: needsRoot }, async () => {
    const root = await tree('link-in', { 'web.yaml': web });
    await mkdir(join(root, 'alice'));
    await chown(join(root, 'alice'), USER, USER);
    await symlink('../web.yaml', join(root, 'alice', 'web.yaml'));
    await lchown(join(root, 'alice', 'web.yaml'), USER, USER);
    const result = ok(await readManifestDir(root, { cwd: tmp, asRoot: true }));
    assert.deepEqual(result.objects.map((o) => [o.name, o.source.file, o.source.uid]), [['web', 'link-in/web.yaml', 0]]);
    assert.deepEqual(result.diagnostics.map((d) => [d.code, d.severity, d.file]), [['DuplicateFile', 'warning', 'link-in/alice/web.yaml']]);
  });

  void it("refuses a link from one user to another user's file", { skip: needsRoot }, async () => {
    const root = await tree('link-users', { 'bob.yaml': processDoc('bob') });
    await chown(join(root, 'bob.yaml'), USER + 1, USER + 1);
    await mkdir(join(root, 'alice'));
    await chown(join(root, 'alice'), USER, USER);
    await symlink('../bob.yaml', join(root, 'alice', 'bob-too.yaml'));
    await lchown(join(root, 'alice', 'bob-too.yaml'), USER, USER);
    const result = ok(await readManifestDir(root, { cwd: tmp, asRoot: true }));
    const refused = result.diagnostics.filter((d) => d.code === 'InsecurePermissions');
    assert.deepEqual(refused.map((d) => [d.file, d.line, d.col]), [['link-users/alice/bob-too.yaml', 1, 1]]);
    assert.match(refused[0]?.message ?? '', /symlink .*bob-too\.yaml is owned by uid 4242 and leads through .*bob\.yaml, owned by uid 4243/);
  });

  void it("refuses root's file in a folder a user owns", { skip: needsRoot }, async () => {
    const root = await tree('user-folder', { 'alice/root.yaml': processDoc('r'), 'alice/hers.yaml': processDoc('h') });
    await chown(join(root, 'alice'), USER, USER);
    await chown(join(root, 'alice', 'hers.yaml'), USER, USER);
    const result = ok(await readManifestDir(root, { cwd: tmp, asRoot: true }));
    assert.deepEqual(result.objects.map((o) => [o.name, o.source.uid]), [['h', USER]]);
    assert.deepEqual(lines(result), [`user-folder/alice/root.yaml:1:1: refusing this file: folder ${join(root, 'alice')} is owned by uid ${USER}, who could replace what it holds; run chown root ${join(root, 'alice')}, or move the file to a folder owned by root or by uid 0`]);
  });

  void it('a manifest directory others could swap is an error state, not an empty one', { skip: needsRoot }, async () => {
    const open = await tree('open-parent', { 'm/a.yaml': processDoc('a') });
    await chmod(open, 0o777);
    const result = await readManifestDir(join(open, 'm'), { cwd: tmp, asRoot: true });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'ManifestDirInsecure');
    assert.equal(!result.ok && result.error.message, `refusing manifest directory open-parent/m: folder ${open} is writable by group or others (mode 0777); run chmod go-w ${open}`);
    const relaxed = await readManifestDir(join(open, 'm'), { cwd: tmp, asRoot: false });
    assert.equal(relaxed.ok, true);
  });

  void it('a manifest directory in a sticky folder like /tmp is fine, a sticky manifest directory is not', { skip: needsRoot }, async () => {
    const sticky = await tree('sticky', { 'm/a.yaml': processDoc('a') });
    await chmod(sticky, 0o1777);
    assert.equal(ok(await readManifestDir(join(sticky, 'm'), { cwd: tmp, asRoot: true })).objects.length, 1);
    const result = await readManifestDir(sticky, { cwd: tmp, asRoot: true });
    assert.equal(!result.ok && result.error.code, 'ManifestDirInsecure');
  });

  void it('user: may name another account only in a root-owned file', { skip: needsRoot }, async () => {
    const root = await tree('users', {
      'root.yaml': processDoc('by-root', ['command: [x]', 'user: daemon']),
      'alice/other.yaml': processDoc('by-alice', ['command: [x]', 'user: daemon']),
      'alice/self.yaml': processDoc('self', ['command: [x]', `user: ${USER}`]),
    });
    await chown(join(root, 'alice'), USER, USER);
    await chown(join(root, 'alice', 'other.yaml'), USER, USER);
    await chown(join(root, 'alice', 'self.yaml'), USER, USER);
    const result = ok(await readManifestDir(root, { cwd: tmp, asRoot: true }));
    assert.deepEqual(result.objects.map((o) => o.name).sort(), ['by-root', 'self']);
    assert.deepEqual(lines(result), [
      `users/alice/other.yaml:7:5: spec.user: "daemon" is uid 1, but this file is owned by uid ${USER}: only a root-owned manifest may run a program as another account (remove user:, or have root own the file)`,
    ]);
    assert.equal(result.diagnostics[0]?.code, 'UserNotAllowed');
  });

  void it("refuses a root-owned envFrom file for a user's manifest", { skip: needsRoot }, async () => {
    const root = await tree('env-owner', { 'alice/a.yaml': processDoc('a', ['command: [x]', 'envFrom: [{file: /etc/hostname}]']) });
    await chown(join(root, 'alice'), USER, USER);
    await chown(join(root, 'alice', 'a.yaml'), USER, USER);
    const result = ok(await readManifestDir(root, { cwd: tmp, asRoot: true }));
    assert.equal(result.diagnostics[0]?.code, 'InsecurePermissions');
    assert.match(result.diagnostics[0]?.message ?? '', /refusing \/etc\/hostname: it is owned by uid 0, not by the manifest file's owner \(uid 4242\)/);
  });
});
