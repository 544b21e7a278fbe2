/**
 * The state dir, its logs folder, token and socket: made private, and refused (with the path and
 * the fix) when someone else could have planted or could change them.
 */
import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendError } from '../../src/model/errors.ts';
import { ensureStateDir, stateDirProblem } from '../../src/platform/state-dir.ts';
import { readOrCreateToken } from '../../src/platform/state-token.ts';

const isRoot = process.getuid?.() === 0;
let tmp = '';
let count = 0;
before(async () => {
  tmp = await realpath(await mkdtemp(join(tmpdir(), 'tend-state-')));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});
const fresh = (): string => join(tmp, `s${++count}`);

void describe('ensureStateDir', () => {
  void it('makes the state dir and logs/ private to the user', async () => {
    const dir = fresh();
    ensureStateDir(dir);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, 'logs'))).mode & 0o777, 0o700);
    assert.equal(stateDirProblem(dir), undefined);
  });

  void it('refuses a state dir others can write, naming it and the fix', async () => {
    const dir = fresh();
    await mkdir(dir);
    await chmod(dir, 0o1777);
    assert.equal(stateDirProblem(dir), `refusing state dir ${dir}: it is writable by group or others (mode 01777); run chmod 700 ${dir}`);
    assert.throws(() => ensureStateDir(dir), (error) => error instanceof TendError && error.code === 'StateDirInsecure');
  });

  void it('refuses a logs/ folder others can write', async () => {
    const dir = fresh();
    ensureStateDir(dir);
    await chmod(join(dir, 'logs'), 0o777);
    assert.match(stateDirProblem(dir) ?? '', /^refusing .*\/logs: it is writable by group or others \(mode 0777\); run chmod 700 /);
  });

  void it('refuses a state dir under a folder others can write', async () => {
    const open = fresh();
    await mkdir(open);
    await chmod(open, 0o777);
    const dir = join(open, 'state');
    assert.throws(() => ensureStateDir(dir), /folder .* is writable by group or others \(mode 0777\); run chmod go-w/);
  });

  void it('refuses a state dir owned by another user', { skip: isRoot ? false : 'chown needs root' }, async () => {
    const dir = fresh();
    ensureStateDir(dir);
    await chown(dir, 4242, 4242);
    assert.equal(stateDirProblem(dir), `refusing state dir ${dir}: it is owned by uid 4242, not by the user tend runs as (uid 0); run chown root ${dir}, or remove it`);
  });
});

void describe('readOrCreateToken', () => {
  void it('creates the token 0600 and reads the same one back', async () => {
    const dir = fresh();
    ensureStateDir(dir);
    const token = readOrCreateToken(dir);
    assert.match(token, /^[0-9a-f]{48}$/);
    assert.equal((await stat(join(dir, 'token'))).mode & 0o777, 0o600);
    assert.equal(readOrCreateToken(dir), token);
  });

  void it('refuses a token others can read', async () => {
    const dir = fresh();
    ensureStateDir(dir);
    await writeFile(join(dir, 'token'), 'guessable\n', { mode: 0o644 });
    await chmod(join(dir, 'token'), 0o644);
    assert.throws(() => readOrCreateToken(dir), /token: it is accessible to group or others \(mode 0644\); run chmod 600 /);
  });

  void it('refuses a token planted by another user, or a link to one', { skip: isRoot ? false : 'chown needs root' }, async () => {
    const dir = fresh();
    ensureStateDir(dir);
    await writeFile(join(dir, 'token'), 'planted\n', { mode: 0o600 });
    await chown(join(dir, 'token'), 4242, 4242);
    assert.throws(() => readOrCreateToken(dir), /token: it is owned by uid 4242, not by the user tend runs as \(uid 0\)/);
    const other = fresh();
    ensureStateDir(other);
    await symlink(join(dir, 'token'), join(other, 'token'));
    assert.throws(() => readOrCreateToken(other), /owned by uid 4242/);
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'planted\n');
  });

  void it('refuses a socket others can connect to', async () => {
    const dir = fresh();
    ensureStateDir(dir);
    const path = join(dir, 'tend.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      await chmod(path, 0o666);
      assert.ok((await lstat(path)).isSocket());
      assert.match(stateDirProblem(dir) ?? '', /tend\.sock: it is accessible to group or others \(mode 0666\); run chmod 600 /);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
