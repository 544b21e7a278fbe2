/**
 * chasePath on a real file system: which folders, links and target it reports, and that a file
 * swapped between the chase and the read is caught.
 */
import assert from 'node:assert/strict';
import { chmod, lchown, mkdir, mkdtemp, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chaseExisting, chasePath, readChasedFile } from '../../src/platform/path-chase.ts';

const isRoot = process.getuid?.() === 0;
let tmp = '';
before(async () => {
  tmp = await realpath(await mkdtemp(join(tmpdir(), 'tend-chase-')));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

void describe('chasePath', () => {
  void it('reports every folder from / down, with the owner of the entry taken from each', async () => {
    await mkdir(join(tmp, 'a/b'), { recursive: true });
    await writeFile(join(tmp, 'a/b/f.yaml'), 'x');
    await chmod(join(tmp, 'a'), 0o750);
    const chased = chaseExisting(join(tmp, 'a/b/f.yaml'), { listed: new Set([join(tmp, 'a/b')]) });
    assert.equal(chased.real, join(tmp, 'a/b/f.yaml'));
    const folders = chased.facts.steps.filter((s) => s.kind === 'folder').map((s) => s.path);
    const expected = ['/', ...tmp.split('/').filter(Boolean).map((_, i, parts) => `/${parts.slice(0, i + 1).join('/')}`), join(tmp, 'a'), join(tmp, 'a/b')];
    assert.deepEqual(folders, expected);
    const a = chased.facts.steps.find((s) => s.path === join(tmp, 'a'));
    assert.equal(a?.kind === 'folder' && a.mode & 0o777, 0o750);
    const listed = chased.facts.steps.filter((s) => s.kind === 'folder' && s.listed).map((s) => s.path);
    assert.deepEqual(listed, [join(tmp, 'a/b')]);
    assert.equal(chased.facts.target.type, 'file');
  });

  void it('follows relative and absolute links, recording each link and resolving .. from the link', async () => {
    await mkdir(join(tmp, 'l/real/deep'), { recursive: true });
    await writeFile(join(tmp, 'l/real/deep/web.yaml'), 'x');
    await symlink('real/deep', join(tmp, 'l/short'));
    await symlink(join(tmp, 'l/short/web.yaml'), join(tmp, 'l/abs.yaml'));
    await symlink('../abs.yaml', join(tmp, 'l/real/up.yaml'));
    const chased = chaseExisting(join(tmp, 'l/real/up.yaml'));
    assert.equal(chased.real, join(tmp, 'l/real/deep/web.yaml'));
    const links = chased.facts.steps.filter((s) => s.kind === 'link').map((s) => s.path);
    assert.deepEqual(links, [join(tmp, 'l/real/up.yaml'), join(tmp, 'l/abs.yaml'), join(tmp, 'l/short')]);
  });

  void it('continues from an already chased folder', async () => {
    await mkdir(join(tmp, 'from/sub'), { recursive: true });
    await writeFile(join(tmp, 'from/sub/x.yaml'), 'x');
    const root = chaseExisting(join(tmp, 'from'));
    const chased = chaseExisting('sub/x.yaml', { from: root });
    assert.equal(chased.real, join(tmp, 'from/sub/x.yaml'));
    assert.deepEqual(chased.facts.steps.slice(0, root.facts.steps.length), root.facts.steps);
  });

  void it('records who owns each link', { skip: isRoot ? false : 'lchown needs root' }, async () => {
    await mkdir(join(tmp, 'own'), { recursive: true });
    await writeFile(join(tmp, 'own/root.yaml'), 'x');
    await symlink('root.yaml', join(tmp, 'own/user.yaml'));
    await lchown(join(tmp, 'own/user.yaml'), 4242, 4243);
    const chased = chaseExisting(join(tmp, 'own/user.yaml'));
    const link = chased.facts.steps.find((s) => s.kind === 'link');
    assert.deepEqual(link && { uid: link.uid, gid: link.kind === 'link' ? link.gid : -1 }, { uid: 4242, gid: 4243 });
    assert.equal(chased.facts.target.uid, 0);
  });

  void it('refuses a link loop and reports a missing path as absent', async () => {
    await mkdir(join(tmp, 'loop'), { recursive: true });
    await symlink('b', join(tmp, 'loop/a'));
    await symlink('a', join(tmp, 'loop/b'));
    assert.throws(() => chasePath(join(tmp, 'loop/a')), { code: 'ELOOP' });
    assert.equal(chasePath(join(tmp, 'loop/none')), undefined);
    assert.throws(() => chaseExisting(join(tmp, 'loop/none')), { code: 'ENOENT' });
  });
});

void describe('readChasedFile', () => {
  void it('reads the chased file and refuses one swapped in after the chase', async () => {
    await mkdir(join(tmp, 'swap'), { recursive: true });
    await writeFile(join(tmp, 'swap/m.yaml'), 'first');
    const chased = chaseExisting(join(tmp, 'swap/m.yaml'));
    assert.deepEqual(readChasedFile(chased, 100), { bytes: Buffer.from('first'), size: 5 });
    await writeFile(join(tmp, 'swap/other.yaml'), 'planted');
    await rename(join(tmp, 'swap/other.yaml'), join(tmp, 'swap/m.yaml'));
    assert.throws(() => readChasedFile(chased, 100), { code: 'ESTALE' });
  });

  void it('does not read past the size limit', async () => {
    await writeFile(join(tmp, 'big.yaml'), 'x'.repeat(200));
    assert.deepEqual(readChasedFile(chaseExisting(join(tmp, 'big.yaml')), 100), { bytes: Buffer.alloc(0), size: 200 });
  });
});
