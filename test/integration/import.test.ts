/**
 * `tend import` on real processes: each fixture of test/fixtures/import/ is imported into a
 * manifest dir, validated, and run under `tend up`; /proc then shows the argv, working dir,
 * environment, user and number of instances the source format would have run, and that
 * dependencies started first. Every world has its own temp dir and state dir and is torn down.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { alive, BIN, createWorld, FIXTURES, groupMembers, itemOf, waitFor, type CliResult, type World } from './harness.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

interface Running {
  status: { replicas?: number };
  instances: { id: string; pid: number | null; phase: string; startedAt: string | null }[];
}

/** Copies the fixture folder into the world and runs `tend import` there with `-o` the manifest dir. */
function importInto(w: World, format: string, args: readonly string[]): { src: string; result: CliResult } {
  const src = join(w.root, 'src');
  cpSync(join(FIXTURES, 'import', format), src, { recursive: true });
  // Programs with a `user` must be able to enter their folders.
  chmodSync(w.root, 0o755);
  const r = spawnSync(process.execPath, [BIN, 'import', format, ...args, '-o', w.dir], { cwd: src, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', LOG_LEVEL: '' } });
  return { src, result: { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr } };
}

const running = (w: World, name: string): Running => itemOf(w.items(), `process/${name}`) as unknown as Running;
const pids = (w: World, name: string): number[] => running(w, name).instances.map((i) => i.pid ?? 0).filter((p) => p > 0 && alive(p));
const cmdline = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
const cwdOf = (pid: number): string => readlinkSync(`/proc/${pid}/cwd`);
const uidOf = (pid: number): number => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
const startedAt = (w: World, name: string): number => Math.min(...running(w, name).instances.map((i) => Date.parse(i.startedAt ?? '')));

function environ(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((e) => e.includes('='));
  return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

/** The argv of every process in the instance's group (a shell may have exec'd the program). */
const groupArgv = (pid: number): string[][] => groupMembers(pid).map(cmdline);

async function upAndWait(w: World, counts: Readonly<Record<string, number>>): Promise<void> {
  const v = w.tend('validate');
  assert.equal(v.code, 0, v.stderr);
  await w.up();
  await waitFor(`instances ${JSON.stringify(counts)}`, () => Object.entries(counts).every(([name, n]) => pids(w, name).length === n), 30_000);
}

test('pm2: ecosystem.config.js with --env production runs the argv, cwd, env and instances PM2 would', async () => {
  const w = (world = createWorld());
  const { src, result } = importInto(w, 'pm2', ['ecosystem.config.js', '--env', 'production']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /ecosystem\.config\.js:41: apps\[1\]\.cron_restart: not imported: /);
  await upAndWait(w, { api: 2, mailer: 1, clock: 1 });
  for (const pid of pids(w, 'api')) {
    assert.deepEqual(cmdline(pid), ['node', '--max-old-space-size=128', './server.js', '--port', '3000', '--label', 'shop api']);
    assert.equal(cwdOf(pid), join(src, 'api'));
    const env = environ(pid);
    assert.equal(env.NODE_ENV, 'production');
    assert.equal(env.PORT, '3000');
    assert.equal(env.LOG_LEVEL, 'info');
    assert.equal(env.DATABASE_URL, 'postgres://db/shop');
  }
  const [mailer] = pids(w, 'mailer');
  assert.deepEqual(cmdline(mailer ?? 0), ['bash', 'mailer.sh', '--queue', 'mail']);
  assert.equal(cwdOf(mailer ?? 0), join(src, 'jobs'));
  assert.equal(environ(mailer ?? 0).REGION, 'eu-west-1');
  const [clock] = pids(w, 'clock');
  assert.deepEqual(cmdline(clock ?? 0), ['sleep', '1001']);
  assert.equal(cwdOf(clock ?? 0), src);
});

test('procfile: each line runs through sh -c in the Procfile folder with PORT and the .env', async () => {
  const w = (world = createWorld());
  const { src, result } = importInto(w, 'procfile', ['Procfile']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /Procfile:5: line 5: not imported: /);
  await upAndWait(w, { web: 1, worker: 1 });
  const [web] = pids(w, 'web');
  assert.ok(groupArgv(web ?? 0).some((argv) => argv.join(' ') === 'sleep 1010'));
  assert.equal(cwdOf(web ?? 0), src);
  assert.equal(environ(web ?? 0).PORT, '5000');
  assert.equal(environ(web ?? 0).DATABASE_URL, 'postgres://localhost/shop');
  assert.equal(environ(web ?? 0).RACK_ENV, 'production');
  const [worker] = pids(w, 'worker');
  assert.deepEqual(cmdline(worker ?? 0), ['/bin/sh', '-c', 'sleep 1011 && echo done']);
  assert.equal(environ(worker ?? 0).PORT, '5100');
});

test('compose: host commands run with entrypoint+command, env files, user, replicas, after healthy and completed dependencies', async () => {
  const w = (world = createWorld());
  const { src, result } = importInto(w, 'compose', ['compose.yaml']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /compose\.yaml:36: services\.web\.image: not imported: /);
  assert.match(result.stderr, /compose\.yaml:13: services\.db: not imported: no command/);
  await upAndWait(w, { cache: 1, web: 2, worker: 1 });
  const migrated = join(src, 'web', 'migrated.txt');
  assert.equal(readFileSync(migrated, 'utf8'), 'migrated\n');
  for (const pid of pids(w, 'web')) {
    assert.deepEqual(cmdline(pid), ['sleep', '1021']);
    assert.equal(cwdOf(pid), join(src, 'web'));
    assert.equal(uidOf(pid), 1000);
    const env = environ(pid);
    assert.equal(env.PORT, '8080');
    assert.equal(env.SHOP_NAME, 'Tend Shop');
    assert.equal(env.API_KEY, 'secret-from-env-file');
    assert.equal(env.LOG_LEVEL, undefined, 'its own environment replaces the merged one, as YAML merge keys do');
  }
  const [cache] = pids(w, 'cache');
  assert.equal(environ(cache ?? 0).LOG_LEVEL, 'info', '${LOG_LEVEL:-info} with LOG_LEVEL empty');
  assert.ok(startedAt(w, 'web') >= statSync(migrated).mtimeMs - 5, 'web started after migrate completed');
  assert.ok(startedAt(w, 'web') >= startedAt(w, 'cache'), 'web started after cache');
  const [worker] = pids(w, 'worker');
  assert.deepEqual(cmdline(worker ?? 0), ['sleep', '1022']);
});

test('process-compose: bash -c commands, global and own env, replicas, disabled, after completed and healthy dependencies', async () => {
  const w = (world = createWorld());
  const { src, result } = importInto(w, 'process-compose', ['process-compose.yaml']);
  assert.equal(result.code, 0, result.stderr);
  await upAndWait(w, { db: 1, api: 2 });
  assert.deepEqual(running(w, 'debug').instances, []);
  const [db] = pids(w, 'db');
  assert.ok(groupArgv(db ?? 0).some((argv) => argv.join(' ') === 'sleep 1030'));
  for (const pid of pids(w, 'api')) {
    assert.ok(groupArgv(pid).some((argv) => argv.join(' ') === 'sleep 1031'));
    assert.equal(cwdOf(pid), join(src, 'api'));
    const env = environ(pid);
    assert.equal(env.PORT, '9000');
    assert.equal(env.MODE, 'api server');
    assert.equal(env.GLOBAL_REGION, 'eu');
  }
  const prepared = join(src, 'api', 'prepared.txt');
  assert.ok(startedAt(w, 'db') >= statSync(prepared).mtimeMs - 5, 'db started after setup completed');
  assert.ok(startedAt(w, 'api') >= startedAt(w, 'db'), 'api started after db');
});

test('supervisord: programs and includes run with their directory, environment, user and numprocs, in priority order', async () => {
  const w = (world = createWorld());
  const { src, result } = importInto(w, 'supervisord', ['supervisord.conf']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /conf\.d\/jobs\.conf:6: \[program:reports\]\.exitcodes: not imported: /);
  await upAndWait(w, { redis: 1, app: 2, reports: 1 });
  assert.deepEqual(running(w, 'backfill').instances, []);
  const [redis] = pids(w, 'redis');
  assert.deepEqual(cmdline(redis ?? 0), ['sleep', '1040']);
  for (const pid of pids(w, 'app')) {
    assert.ok(groupArgv(pid).some((argv) => argv.join(' ') === 'sleep 1041'));
    assert.equal(cwdOf(pid), join(src, 'app'));
    const env = environ(pid);
    assert.equal(env.APP_ENV, 'production');
    assert.equal(env.APP_NAME, 'app');
    assert.equal(env.GREETING, 'hello world');
  }
  const [reports] = pids(w, 'reports');
  assert.equal(cwdOf(reports ?? 0), join(src, 'app'));
  assert.equal(uidOf(reports ?? 0), Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim()));
  assert.ok(startedAt(w, 'app') >= startedAt(w, 'redis'), 'priority 20 after priority 10');
  assert.ok(startedAt(w, 'reports') >= startedAt(w, 'app'), 'priority 30 after priority 20');
});

test('the same sources give the same manifest bytes on every run', () => {
  const w = (world = createWorld());
  const cases = [['pm2', 'ecosystem.config.js'], ['procfile', 'Procfile'], ['compose', 'compose.yaml'], ['process-compose', 'process-compose.yaml'], ['supervisord', 'supervisord.conf']] as const;
  for (const [format, file] of cases) {
    const runOnce = (): Record<string, string> => {
      const r = importInto(w, format, [file]);
      assert.equal(r.result.code, 0, r.result.stderr);
      return Object.fromEntries(readdirSync(w.dir).map((f) => [f, readFileSync(join(w.dir, f), 'utf8')]));
    };
    const first = runOnce();
    assert.deepEqual(runOnce(), first, format);
    for (const f of readdirSync(w.dir)) spawnSync('rm', ['-rf', join(w.dir, f), join(w.root, 'src')]);
  }
});

test('--strict exits 2 and writes nothing when a field is not imported; without -o the manifests go to stdout', () => {
  const w = (world = createWorld());
  const strict = importInto(w, 'pm2', ['ecosystem.config.js', '--strict']);
  assert.equal(strict.result.code, 2);
  assert.match(strict.result.stderr, /--strict: nothing written/);
  assert.deepEqual(readdirSync(w.dir), []);
  const r = spawnSync(process.execPath, [BIN, 'import', 'procfile', 'Procfile'], { cwd: strict.src, encoding: 'utf8' });
  assert.equal(r.status, 2, 'a Procfile is not in the pm2 fixture folder');
  const out = spawnSync(process.execPath, [BIN, 'import', 'pm2', 'ecosystem.yaml'], { cwd: strict.src, encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /^# Imported by `tend import pm2` from ecosystem\.yaml:2 \(apps\[0\]\)\.\n/);
  assert.match(out.stderr, /1 program imported from 1 file: \d+ fields mapped, 0 not imported/);
});
