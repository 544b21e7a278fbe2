/**
 * The permission matrix, on real processes with a second account: `tend` runs as root, the
 * account `tendtest` (made with useradd when missing, removed again if this file made it) owns
 * files and plays the attacker. Each program's uid is read from /proc/PID/status, its folder from
 * /proc/PID/cwd, and each attack of the security rules (SPEC §5) is tried and must fail:
 * - a symlink to root's manifest in a user's folder, with a payload beside it;
 * - a user's file that sorts first and takes the name of root's object;
 * - `user: daemon` (or root) in a user's own file;
 * - a token planted in a state dir others can write, used to stop a program over the API;
 * - the manifest directory swapped by another user under a parent left writable.
 * Needs root (to run programs as other users and to make the account); skipped otherwise.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, createWorld, itemOf, processManifest, waitFor, type Item, type World } from '../integration/harness.ts';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'runs programs as other users and adds an account: needs root';
const ACCOUNT = 'tendtest';

let user = { uid: -1, gid: -1 };
let madeAccount = false;
const worlds: World[] = [];

before(() => {
  if (!isRoot) return;
  if (accountOf(ACCOUNT) === undefined) {
    const made = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ACCOUNT], { encoding: 'utf8' });
    assert.equal(made.status, 0, `useradd failed: ${made.stderr}`);
    madeAccount = true;
  }
  const account = accountOf(ACCOUNT);
  assert.ok(account, `no account ${ACCOUNT}`);
  user = account;
});

after(async () => {
  for (const world of worlds) await world.cleanup();
  if (madeAccount) spawnSync('userdel', [ACCOUNT]);
});

function accountOf(name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid === undefined || gid === undefined ? undefined : { uid: Number(uid), gid: Number(gid) };
}

// A world whose folders the second account may pass through, as on a real machine.
function newWorld(): World {
  const world = createWorld();
  worlds.push(world);
  chmodSync(world.root, 0o755);
  return world;
}

// Runs a command as the second account: whatever it makes is theirs.
function asUser(command: string, ...args: string[]): void {
  const result = spawnSync(command, args, { uid: user.uid, gid: user.gid, encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} as ${ACCOUNT}: ${result.stderr}`);
}

function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'));
  const uids = (line ?? '').split(/\s+/).slice(1, 4).map(Number);
  assert.equal(new Set(uids).size, 1, `real, effective and saved uid of ${pid} differ: ${line}`);
  return uids[0] ?? -1;
}

function pidOf(world: World, key: string): number {
  const pid = itemOf(world.items(), key).instances[0]?.pid;
  assert.ok(typeof pid === 'number', `${key} has no pid`);
  return pid;
}

function runningKeys(world: World): string[] {
  return world.items().filter((i) => i.instances.some((x) => x.phase === 'Running' && x.pid)).map((i) => i.key).sort();
}

const sleeper = (name: string, ...spec: string[]): string => processManifest(name, 'command: [sleep, "600"]', ...spec);

void describe('permissions as root', { skip }, () => {
  void it('runs each program as the account it should, and refuses user: and links that would change that', async () => {
    const world = newWorld();
    const team = join(world.dir, 'team');
    world.write('root.yaml', sleeper('by-root'));
    world.write('daemon.yaml', sleeper('as-daemon', 'user: daemon'));
    world.write('web.yaml', processManifest('web', 'command: [sh, run.sh]', 'workingDir: ./apps/web'));
    world.write('apps/web/run.sh', 'exec sleep 600\n');
    world.write('open.yaml', sleeper('open'));
    chmodSync(join(world.dir, 'open.yaml'), 0o666);
    const outside = join(world.root, 'outside');
    mkdirSync(join(outside, 'bin'), { recursive: true });
    writeFileSync(join(outside, 'tool.yaml'), processManifest('tool', 'command: [sh, run.sh]', 'workingDir: ./bin'));
    writeFileSync(join(outside, 'bin', 'run.sh'), 'exec sleep 600\n');
    mkdirSync(team);
    chownSync(team, user.uid, user.gid);
    // What the second account does in its delegated folder.
    const payload = `touch ${join(team, 'pwned')}; exec sleep 600\n`;
    asUser('sh', '-c', [
      `cd ${team}`,
      `printf '%s' '${sleeper('own')}' > own.yaml`,
      `printf '%s' '${sleeper('self', `user: ${ACCOUNT}`)}' > self.yaml`,
      `printf '%s' '${sleeper('other', 'user: daemon')}' > other.yaml`,
      `printf '%s' '${sleeper('escalate', 'user: root')}' > escalate.yaml`,
      `ln -s ../web.yaml web.yaml`,
      // Sorts before root's web.yaml: must not take the name of root's object.
      `printf '%s' '${sleeper('web')}' > shadow.yaml`,
      `ln -s ${join(outside, 'tool.yaml')} tool.yaml`,
      `mkdir -p apps/web bin`,
      `printf '%s' '${payload}' > apps/web/run.sh`,
      `printf '%s' '${payload}' > bin/run.sh`,
    ].join(' && '));
    await world.up();
    const expected = ['process/as-daemon', 'process/by-root', 'process/own', 'process/self', 'process/tool', 'process/web'];
    await waitFor('every allowed program to run', () => runningKeys(world).join() === expected.join(), 30_000);

    assert.equal(uidOf(pidOf(world, 'process/by-root')), 0);
    assert.equal(uidOf(pidOf(world, 'process/as-daemon')), 1);
    assert.equal(uidOf(pidOf(world, 'process/own')), user.uid);
    assert.equal(uidOf(pidOf(world, 'process/self')), user.uid);
    // Root's web.yaml linked into the user's folder: read once, as root's, from root's folder.
    assert.equal(uidOf(pidOf(world, 'process/web')), 0);
    assert.equal(readlinkSync(`/proc/${pidOf(world, 'process/web')}/cwd`), join(world.dir, 'apps', 'web'));
    // Root's file outside the tree linked in by the user: runs as the user, from the real file's folder.
    assert.equal(uidOf(pidOf(world, 'process/tool')), user.uid);
    assert.equal(readlinkSync(`/proc/${pidOf(world, 'process/tool')}/cwd`), join(outside, 'bin'));
    assert.equal(existsSync(join(team, 'pwned')), false, 'the payload beside a link ran');

    const keys = world.items().map((i) => i.key);
    for (const refused of ['process/other', 'process/escalate', 'process/open']) assert.ok(!keys.includes(refused), `${refused} is known`);
    const said = world.tend('events').stdout;
    assert.match(said, /team\/other\.yaml:\d+:\d+: spec\.user: "daemon" is uid 1, but this file is owned by uid \d+: only a root-owned manifest/);
    assert.match(said, /team\/escalate\.yaml:\d+:\d+: spec\.user: "root" is uid 0/);
    assert.match(said, /open\.yaml:1:1: refusing this file: it is writable by group or others \(mode 0666\); run chmod go-w /);
    assert.match(said, /team\/web\.yaml:1:1: warning: this is the same file as .*manifests\/web\.yaml/);
    assert.match(said, /team\/shadow\.yaml:\d+:\d+: metadata\.name: process\/web is already defined at .*manifests\/web\.yaml:\d+:\d+; a root-owned definition wins/);
  });

  void it('refuses a state dir others can write, and a token planted in it opens nothing', async () => {
    const world = newWorld();
    world.write('keep.yaml', sleeper('keep'));
    mkdirSync(world.stateDir, { mode: 0o777 });
    chmodSync(world.stateDir, 0o1777);
    asUser('sh', '-c', `echo planted > ${join(world.stateDir, 'token')}`);
    const port = await freePort();
    const refused = world.tend('up', '--listen', `127.0.0.1:${port}`);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr, `tend: refusing state dir ${world.stateDir}: it is writable by group or others (mode 01777); run chmod 700 ${world.stateDir}\n`);
    assert.equal(world.tend('stop', 'process/keep').code, 2);
    assert.deepEqual(world.markedPids(), []);

    chmodSync(world.stateDir, 0o700);
    const planted = world.tend('get');
    assert.equal(planted.code, 2);
    assert.match(planted.stderr, new RegExp(`token: it is owned by uid ${user.uid}, not by the user tend runs as \\(uid 0\\); run chown root `));

    rmSync(join(world.stateDir, 'token'));
    await world.up(['--listen', `127.0.0.1:${port}`]);
    await waitFor('keep to run', () => runningKeys(world).join() === 'process/keep');
    const token = join(world.stateDir, 'token');
    assert.equal(statSync(token).mode & 0o777, 0o600);
    assert.equal(statSync(token).uid, 0);
    assert.equal((await post(port, '/v1/objects/process/keep/stop', 'planted')).status, 401);
    assert.equal(itemOf(world.items(), 'process/keep').instances[0]?.phase, 'Running');
    // The real token does work, so the 401 above is the token check and not a broken route.
    assert.equal((await post(port, '/v1/objects/process/keep/stop', readFileSync(token, 'utf8').trim())).status, 200);
  });

  void it('a manifest directory swapped under a parent left writable: nothing of theirs runs, nothing of root is lost', async () => {
    const world = newWorld();
    const parent = join(world.root, 'shared');
    const dir = join(parent, 'manifests');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'keep.yaml'), sleeper('keep'));
    const tend = (...args: string[]): ReturnType<World['tend']> => runTend(world, dir, ...args);
    const controller = spawn(process.execPath, [BIN, 'up', '-d', dir, '--state-dir', world.stateDir], { stdio: 'ignore' });
    try {
      await waitFor('keep to run', () => tend('get', '-o', 'json').stdout.includes('"Running"'), 30_000);
      const pid = pidIn(tend, 'process/keep');

      chmodSync(parent, 0o777);
      asUser('sh', '-c', `cd ${parent} && mv manifests manifests.old && mkdir manifests && printf '%s' '${sleeper('theirs')}' > manifests/theirs.yaml`);
      const pass = tend('reconcile', '--once');
      assert.equal(pass.code, 2, pass.stderr);
      const events = tend('events', '-o', 'json').stdout.split('\n').filter((l) => l.includes('"reason":"ManifestDirInsecure"'));
      assert.equal(events.length, 1, tend('events').stdout);
      assert.ok(events[0]?.includes(`folder ${parent} is writable by group or others (mode 0777); run chmod go-w ${parent}`), events[0]);

      // Past the prune grace (300 ms) and another full pass, root's program still runs, theirs never.
      const since = Date.now();
      await waitFor('the prune grace to pass', () => Date.now() - since > 600);
      assert.equal(tend('reconcile', '--once').code, 2);
      const items = JSON.parse(tend('get', '-o', 'json').stdout) as { items: { key: string }[] };
      assert.deepEqual(items.items.map((i) => i.key), ['process/keep']);
      assert.equal(pidIn(tend, 'process/keep'), pid);
      assert.equal(uidOf(pid), 0);
      assert.deepEqual(world.markedPids().filter((p) => uidOf(p) === user.uid), []);
    } finally {
      controller.kill('SIGKILL');
    }
  });
});

// The CLI on a manifest dir other than the world's (the world's state dir, so cleanup finds all).
function runTend(world: World, dir: string, ...args: string[]): ReturnType<World['tend']> {
  const result = spawnSync(process.execPath, [BIN, ...args, '-d', dir, '--state-dir', world.stateDir], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function pidIn(tend: (...args: string[]) => ReturnType<World['tend']>, key: string): number {
  const items = (JSON.parse(tend('get', '-o', 'json').stdout) as { items: Item[] }).items;
  const pid = itemOf(items, key).instances[0]?.pid;
  assert.ok(typeof pid === 'number', `${key} has no pid`);
  return pid;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject).listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function post(port: number, path: string, token: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}
