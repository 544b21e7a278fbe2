import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fs from 'node:fs';
import { statfsSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { after, before, describe, it, mock } from 'node:test';
import { fileURLToPath } from 'node:url';
import { localFileSystems, readManifestDir, readManifestFiles, unchangedInCache, VALIDATE_SLICE } from '../../src/manifest/load.ts';
import { FINE_TRUST_AFTER_MS, statSignature, TRUST_AFTER_MS } from '../../src/manifest/trusted-read.ts';
import type { ManifestCache, ReadManifestDirResult } from '../../src/manifest/load.ts';
import type { ProcessSpec } from '../../src/model/object.ts';
import { lines, processDoc } from './fixtures.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const isRoot = process.getuid?.() === 0;

let tmp = '';
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tend-manifest-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

// A fresh folder under the temp dir with the given files (path -> content).
async function tree(name: string, files: Readonly<Record<string, string>>): Promise<string> {
  const root = join(tmp, name);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  await mkdir(root, { recursive: true });
  return root;
}

function okResult(result: ReadManifestDirResult): Extract<ReadManifestDirResult, { ok: true }> {
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result;
}

void describe('readManifestDir', () => {
  void it('reads .yaml and .yml files recursively in sorted order, skipping hidden ones', async () => {
    const root = await tree('walk', {
      'b.yaml': processDoc('b'),
      'a.yml': processDoc('a'),
      'sub/c.yaml': processDoc('c'),
      'sub/deeper/d.yaml': processDoc('d'),
      '.hidden.yaml': processDoc('hidden'),
      '.git/e.yaml': processDoc('e'),
      'sub/.cache/f.yaml': processDoc('f'),
      'notes.txt': 'not yaml',
      'web.yaml~': processDoc('backup'),
    });
    const result = okResult(await readManifestDir(root, { cwd: tmp, asRoot: false }));
    assert.deepEqual(result.files.map((f) => f.file), ['walk/a.yml', 'walk/b.yaml', 'walk/sub/c.yaml', 'walk/sub/deeper/d.yaml']);
    assert.deepEqual(result.objects.map((o) => o.name), ['a', 'b', 'c', 'd']);
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.valid, true);
  });

  void it('shows absolute paths for files outside the working directory', async () => {
    const root = await tree('outside', { 'a.yaml': processDoc('a') });
    const result = okResult(await readManifestDir(root, { cwd: '/nonexistent/elsewhere', asRoot: false }));
    assert.equal(result.files[0]?.file, join(root, 'a.yaml'));
  });

  void it('records the owner of each file and resolves paths through the directory as named', async () => {
    const root = await tree('owner', { 'apps/web.yaml': processDoc('web', ['command: [x]', 'workingDir: ./srv']) });
    const result = okResult(await readManifestDir(root, { cwd: tmp, asRoot: false }));
    const [web] = result.objects;
    assert.equal(web?.source.uid, process.getuid?.());
    assert.equal(web?.source.gid, process.getgid?.());
    assert.deepEqual([web?.source.file, web?.source.line, web?.source.col], ['owner/apps/web.yaml', 4, 5]);
    assert.equal((web?.spec as ProcessSpec).workingDir, join(root, 'apps', 'srv'));
  });

  void it('follows a symlinked directory (atomic swap) and keeps paths through the link', async () => {
    const revision = await tree('rev-1', { 'web.yaml': processDoc('web', ['command: [x]', 'envFrom: [{file: .env}]']), '.env': 'SECRET=1\n' });
    const link = join(tmp, 'current');
    await symlink(revision, link);
    const result = okResult(await readManifestDir(link, { cwd: tmp, asRoot: false }));
    assert.equal(result.realDir, revision);
    assert.equal(result.dir, link);
    assert.equal(result.files[0]?.file, 'current/web.yaml');
    const spec = result.objects[0]?.spec as ProcessSpec;
    assert.equal(spec.workingDir, link);
    assert.deepEqual([spec.env, spec.secretEnv], [{ SECRET: '1' }, ['SECRET']]);
  });

  void it('returns a distinguishable error for a missing or unreadable directory, never an empty result', async () => {
    const missing = await readManifestDir(join(tmp, 'no-such-dir'), { cwd: tmp });
    assert.equal(missing.ok, false);
    assert.equal(!missing.ok && missing.error.code, 'ManifestDirUnreadable');
    assert.match(!missing.ok ? missing.error.message : '', /^cannot read manifest directory no-such-dir: ENOENT/);
    const root = await tree('not-a-dir', { 'file.yaml': processDoc('a') });
    const notDir = await readManifestDir(join(root, 'file.yaml'), { cwd: tmp });
    assert.equal(!notDir.ok && notDir.error.code, 'ManifestDirUnreadable');
  });

  void it('reports an empty directory as ok with no objects', async () => {
    const root = await tree('empty', {});
    const result = okResult(await readManifestDir(root, { cwd: tmp }));
    assert.deepEqual([result.files.length, result.objects.length, result.valid], [0, 0, true]);
  });

  void it('refuses files over the size limit', async () => {
    const root = await tree('large', { 'big.yaml': `${processDoc('big')}# ${'x'.repeat(2048)}\n`, 'small.yaml': processDoc('small') });
    const result = okResult(await readManifestDir(root, { cwd: tmp, maxFileSize: 1024, asRoot: false }));
    assert.deepEqual(lines(result), [`large/big.yaml:1:1: file is ${Buffer.byteLength(processDoc('big')) + 2051} bytes; the limit is 1024 bytes`]);
    assert.equal(result.diagnostics[0]?.code, 'FileTooLarge');
    assert.deepEqual(result.objects.map((o) => o.name), ['small']);
  });

  void it('applies the other files when one is broken, and marks only that one not ok', async () => {
    const root = await tree('partial', { 'a.yaml': 'spec: [\n', 'b.yaml': processDoc('b') });
    const result = okResult(await readManifestDir(root, { cwd: tmp, asRoot: false }));
    assert.deepEqual(result.files.map((f) => [f.file, f.ok]), [['partial/a.yaml', false], ['partial/b.yaml', true]]);
    assert.deepEqual(result.objects.map((o) => o.name), ['b']);
    assert.equal(result.diagnostics[0]?.code, 'YamlSyntax');
  });

  void describe('as root (StrictModes)', () => {
    void it('refuses files writable by group or others', async () => {
      const root = await tree('perm-file', { 'open.yaml': processDoc('open'), 'closed.yaml': processDoc('closed') });
      await chmod(join(root, 'open.yaml'), 0o666);
      const result = okResult(await readManifestDir(root, { cwd: tmp, asRoot: true }));
      const open = join(root, 'open.yaml');
      assert.deepEqual(lines(result), [`perm-file/open.yaml:1:1: refusing this file: it is writable by group or others (mode 0666); run chmod go-w ${open}`]);
      assert.equal(result.diagnostics[0]?.code, 'InsecurePermissions');
      assert.deepEqual(result.objects.map((o) => o.name), ['closed']);
      const relaxed = okResult(await readManifestDir(root, { cwd: tmp, asRoot: false }));
      assert.equal(relaxed.valid, true);
    });

    void it('refuses every file below a folder writable by group or others', async () => {
      const root = await tree('perm-dir', { 'top.yaml': processDoc('top'), 'shared/a.yaml': processDoc('a'), 'shared/deep/b.yaml': processDoc('b') });
      await chmod(join(root, 'shared'), 0o777);
      const result = okResult(await readManifestDir(root, { cwd: tmp, asRoot: true }));
      assert.deepEqual(result.diagnostics.map((d) => [d.code, d.file]), [
        ['InsecurePermissions', 'perm-dir/shared/a.yaml'],
        ['InsecurePermissions', 'perm-dir/shared/deep/b.yaml'],
      ]);
      const shared = join(root, 'shared');
      assert.equal(result.diagnostics[0]?.message, `refusing this file: folder ${shared} is writable by group or others (mode 0777); run chmod go-w ${shared}`);
      assert.deepEqual(result.objects.map((o) => o.name), ['top']);
    });

    void it('refuses envFrom files writable by others or owned by someone else', { skip: isRoot ? false : 'chown needs root' }, async () => {
      const root = await tree('perm-env', {
        'a.yaml': processDoc('a', ['command: [x]', 'envFrom: [{file: open.env}]']),
        'b.yaml': processDoc('b', ['command: [x]', 'envFrom: [{file: foreign.env}]']),
        'open.env': 'A=1\n',
        'foreign.env': 'B=1\n',
      });
      await chmod(join(root, 'open.env'), 0o646);
      await chown(join(root, 'foreign.env'), 4242, 4242);
      const result = okResult(await readManifestDir(root, { cwd: tmp, asRoot: true }));
      assert.deepEqual(lines(result), [
        `perm-env/a.yaml:7:16: spec.envFrom[0].file: refusing open.env: it is writable by group or others (mode 0646); run chmod go-w ${join(root, 'open.env')}`,
        `perm-env/b.yaml:7:16: spec.envFrom[0].file: refusing foreign.env: it is owned by uid 4242, not by the manifest file's owner (uid 0); run chown root ${join(root, 'foreign.env')}, or remove it`,
      ]);
      assert.ok(result.diagnostics.every((d) => d.code === 'InsecurePermissions'));
    });
  });
});

void describe('readManifestFiles', () => {
  void it('reads the named files and folders in the order given, reporting unreadable paths', async () => {
    const root = await tree('files', { 'z.yaml': processDoc('z'), 'dir/a.yaml': processDoc('a'), 'dir/.hidden.yaml': processDoc('h') });
    const result = await readManifestFiles([join(root, 'z.yaml'), join(root, 'dir'), join(root, 'missing.yaml')], { cwd: tmp, asRoot: false });
    assert.deepEqual(result.files.map((f) => [f.file, f.ok]), [['files/z.yaml', true], ['files/dir/a.yaml', true], ['files/missing.yaml', false]]);
    assert.deepEqual(result.diagnostics.map((d) => [d.code, d.file, d.line, d.col]), [['FileUnreadable', 'files/missing.yaml', 1, 1]]);
    assert.deepEqual(result.objects.map((o) => o.name), ['z', 'a']);
  });

  void it('runs the cross-file checks over the named files', async () => {
    const root = await tree('files-dup', { 'a.yaml': processDoc('web'), 'b.yaml': processDoc('web') });
    const result = await readManifestFiles([join(root, 'b.yaml'), join(root, 'a.yaml')], { cwd: tmp, asRoot: false });
    assert.deepEqual(result.diagnostics.map((d) => [d.code, d.file]), [['DuplicateObject', 'files-dup/a.yaml']]);
  });
});

void describe('the example manifests', () => {
  void it('validate with no errors and no warnings', async () => {
    const result = okResult(await readManifestDir(join(repoRoot, 'manifests'), { cwd: repoRoot, asRoot: false }));
    assert.deepEqual(lines(result), []);
    assert.deepEqual(result.objects.map((o) => o.key), ['process/web', 'process/worker']);
    const worker = result.objects[1]?.spec as ProcessSpec;
    assert.equal(worker.replicas, 2);
    assert.equal(worker.workingDir, join(repoRoot, 'manifests', 'apps', 'worker'));
  });
});

void describe('readManifestDir with a cache', () => {
  void it('reuses unchanged files and sees every kind of change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tend-cache-'));
    try {
      const write = (name: string, text: string): Promise<void> => writeFile(join(dir, name), text);
      const doc = (name: string, extra = ''): string => `apiVersion: tend/v1\nkind: Process\nmetadata: {name: ${name}}\nspec:\n  command: ["sleep", "1"]\n  envFrom: [{file: .env}]\n${extra}`;
      await write('.env', 'A=1\n');
      await write('a.yaml', doc('a'));
      await write('b.yaml', doc('b'));
      const cache: ManifestCache = new Map();
      const first = await readManifestDir(dir, { cache });
      assert.ok(first.ok);
      const second = await readManifestDir(dir, { cache });
      assert.ok(second.ok);
      assert.equal(second.files[0], first.files[0], 'an unchanged file is the very same result');
      await write('b.yaml', doc('b', '  replicas: 2\n'));
      const third = await readManifestDir(dir, { cache });
      assert.ok(third.ok);
      assert.equal(third.files[0], first.files[0]);
      assert.notEqual(third.files[1], first.files[1], 'an edited file is read again');
      await write('.env', 'A=2\n');
      const fourth = await readManifestDir(dir, { cache });
      assert.ok(fourth.ok);
      assert.notEqual(fourth.objects[0]?.specHash, third.objects[0]?.specHash, 'a changed envFrom file is seen');
      await rm(join(dir, 'b.yaml'));
      await readManifestDir(dir, { cache });
      assert.equal(cache.size, 1, 'deleted files leave the cache');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

void describe('readManifestDir with a cache and files unchanged since', () => {
  // The opens of files under `dir` while `work` runs: path-chase.ts opens every file it reads.
  async function opensUnder(dir: string, work: () => Promise<unknown>): Promise<number> {
    let opens = 0;
    const original = fs.openSync;
    const spy = mock.method(fs, 'openSync', function (this: unknown, ...args: Parameters<typeof fs.openSync>) {
      if (String(args[0]).startsWith(dir)) opens += 1;
      return original.apply(this, args);
    });
    syncBuiltinESMExports();
    try {
      await work();
    } finally {
      spy.mock.restore();
      syncBuiltinESMExports();
    }
    return opens;
  }

  void it('opens a file again only while its lstat could hide a change since it was read', async () => {
    const dir = await tree('unchanged', { 'a.yaml': processDoc('a'), 'b.yaml': processDoc('b') });
    const cache: ManifestCache = new Map();
    let clock = Date.now();
    const read = (): Promise<ReadManifestDirResult> => readManifestDir(dir, { cache, now: () => clock });
    const first = okResult(await read());
    assert.equal(await opensUnder(dir, read), 2, 'just written: its ctime is too close to the read to vouch for it');
    clock += 5000;
    assert.equal(await opensUnder(dir, read), 2, 'read again, found as it was: from now on the lstat vouches for it');
    let again: ReadManifestDirResult | undefined;
    assert.equal(await opensUnder(dir, async () => (again = await read())), 0, 'an unchanged directory opens no file');
    assert.equal(okResult(again as ReadManifestDirResult).files[1], first.files[1], 'and gives the very same results');
    await writeFile(join(dir, 'b.yaml'), processDoc('b', ['command: ["node", "server.js"]', 'replicas: 2']));
    const edited = { result: undefined as ReadManifestDirResult | undefined };
    assert.equal(await opensUnder(dir, async () => (edited.result = await read())), 1, 'only the edited file is opened');
    const b = okResult(edited.result as ReadManifestDirResult).objects.find((o) => o.name === 'b');
    assert.equal((b?.spec as ProcessSpec).replicas, 2, 'and its edit is seen');
    await chmod(join(dir, 'a.yaml'), 0o600);
    assert.equal(await opensUnder(dir, read), 1, 'a chmod changes the ctime: only a is opened');
  });

  void it('trusts a signature only with a ctime older than the read that saw it', () => {
    const real = statSync(join(repoRoot, 'package.json'));
    const trusted = (readAt: number, { signature, ctimeMs = 1_700_000_000_000, local = false }: { signature?: string; ctimeMs?: number; local?: boolean } = {}): boolean => {
      const stats = Object.assign(Object.create(Object.getPrototypeOf(real) as object) as typeof real, real, { ctimeMs });
      const cache: ManifestCache = new Map([['/f', { key: '', text: 'x', signature: signature ?? statSignature(stats), readAt, envReads: [], result: undefined as never }]]);
      return unchangedInCache(cache, () => local)('/f', stats) === 'x';
    };
    const ctime = 1_700_000_000_000;
    assert.equal(trusted(ctime + TRUST_AFTER_MS + 1), true);
    assert.equal(trusted(ctime + TRUST_AFTER_MS), false, 'a change in the same clock tick as the read would keep the ctime');
    assert.equal(trusted(ctime + 10 * TRUST_AFTER_MS, { signature: 'another' }), false, 'another signature');
    // A local file system with sub-second times: a tick of the kernel's clock is margin enough.
    const fine = ctime + 123.456789;
    assert.equal(trusted(fine + FINE_TRUST_AFTER_MS + 1, { ctimeMs: fine, local: true }), true);
    assert.equal(trusted(fine + FINE_TRUST_AFTER_MS, { ctimeMs: fine, local: true }), false);
    assert.equal(trusted(fine + FINE_TRUST_AFTER_MS + 1, { ctimeMs: fine, local: false }), false, 'NFS or FUSE: a server clock may be behind');
    assert.equal(trusted(ctime + FINE_TRUST_AFTER_MS + 1, { ctimeMs: ctime, local: true }), false, 'times kept to the second: a change in the same second keeps them');
    assert.equal(trusted(ctime + TRUST_AFTER_MS + 1, { ctimeMs: ctime, local: true }), true);
  });

  void it('takes tmpfs for a local file system and /proc for none, asking once per device', () => {
    const local = localFileSystems();
    const proc = statSync('/proc').dev;
    assert.equal(local('/proc', proc), false);
    if (statfsSync('/dev/shm', { bigint: false }).type === 0x01021994) assert.equal(local('/dev/shm', statSync('/dev/shm').dev), true);
    assert.equal(local('/dev/shm', proc), false, 'the answer for a device is kept for the pass');
    assert.equal(localFileSystems()('/no/such/path', -1), false, 'what cannot be asked is not local');
  });
});

void describe('readManifestDir with onListed', () => {
  void it('tells how many manifest files it found before it opens any', async () => {
    const dir = await tree('listed', { 'a.yaml': processDoc('a'), 'sub/b.yml': processDoc('b'), 'notes.txt': 'x', '.hidden.yaml': processDoc('h') });
    const told: number[] = [];
    const original = fs.openSync;
    let opensWhenTold = -1;
    let opens = 0;
    const spy = mock.method(fs, 'openSync', function (this: unknown, ...args: Parameters<typeof fs.openSync>) {
      opens += 1;
      return original.apply(this, args);
    });
    syncBuiltinESMExports();
    try {
      okResult(await readManifestDir(dir, { onListed: (files) => void (told.push(files), (opensWhenTold = opens)) }));
    } finally {
      spy.mock.restore();
      syncBuiltinESMExports();
    }
    assert.deepEqual(told, [2]);
    assert.equal(opensWhenTold, 0, 'told before any file was opened');
  });
});

void describe('readManifestDir with yieldTurn', () => {
  void it('lets other work run every VALIDATE_SLICE files opened and validated, and reads the same as in one piece', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 250; i++) files[`p${String(i).padStart(3, '0')}.yaml`] = processDoc(`p${i}`);
    files['p100.yaml'] = 'kind: [';
    const dir = await tree('sliced', files);
    let turns = 0;
    const sliced = okResult(await readManifestDir(dir, { yieldTurn: () => Promise.resolve(void (turns += 1)) }));
    const whole = okResult(await readManifestDir(dir));
    assert.equal(turns, 2 * (Math.ceil(250 / VALIDATE_SLICE) - 1), 'a turn after every VALIDATE_SLICE files opened, and validated');
    assert.deepEqual(sliced.objects.map((o) => o.key), whole.objects.map((o) => o.key));
    assert.equal(sliced.objects.length, 249);
    assert.deepEqual(sliced.diagnostics, whole.diagnostics);
  });
});
