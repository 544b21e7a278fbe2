/**
 * The outputs scripts rely on (spec §2): `get -o json` field names, `events -o json` lines, the
 * control socket's mode, the TCP listener's token, `/metrics`, `reconcile --once` handing its
 * pass to a running controller, and `logs`.
 */
import assert from 'node:assert/strict';
import { statSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createWorld, freePort, itemOf, processManifest, waitFor, type World } from './harness.ts';

let world: World;
let port: number;

before(async () => {
  world = createWorld();
  world.write('web.yaml', processManifest('web', 'command: ["sh", "-c", "echo hello-out; echo hello-err >&2; exec sleep 1000"]', 'replicas: 2'));
  port = await freePort();
  await world.up(['--listen', `127.0.0.1:${port}`]);
  await waitFor('web runs', () => itemOf(world.items(), 'process/web').status.readyReplicas === 2);
});

after(() => world.cleanup());

test('get -o json keeps the field names of the contract', () => {
  const item = itemOf(world.items(), 'process/web') as unknown as Record<string, unknown>;
  for (const key of ['kind', 'name', 'generation', 'status', 'instances']) assert.ok(key in item, key);
  const status = item.status as Record<string, unknown>;
  for (const key of ['phase', 'readyReplicas', 'failures', 'recovery']) assert.ok(key in status, `status.${key}`);
  const instance = (item.instances as Record<string, unknown>[])[0] ?? {};
  for (const key of ['id', 'pid', 'phase', 'ready', 'restarts', 'startedAt', 'lastExit', 'reason']) assert.ok(key in instance, `instances[].${key}`);
  assert.equal(item.kind, 'Process');
  assert.equal(status.phase, 'Running');
  assert.equal(instance.phase, 'Running');
});

test('events -o json prints one object per line with the contract fields', () => {
  const lines = world.tend('events', '-o', 'json').stdout.trim().split('\n');
  const started = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.reason === 'Started');
  assert.equal(started.length, 2);
  for (const key of ['time', 'object', 'instance', 'type', 'reason', 'message']) assert.ok(key in (started[0] ?? {}), key);
  assert.equal(started[0]?.object, 'process/web');
  assert.equal(started[0]?.type, 'Normal');
});

test('the control socket is mode 0600', () => {
  assert.equal(statSync(join(world.stateDir, 'tend.sock')).mode & 0o777, 0o600);
});

test('the TCP listener needs the bearer token from the state dir, except for /healthz', async () => {
  const token = readFileSync(join(world.stateDir, 'token'), 'utf8').trim();
  assert.equal((await get(port, '/healthz')).status, 200);
  assert.equal((await get(port, '/v1/objects')).status, 401);
  assert.equal((await get(port, '/v1/objects', 'wrong')).status, 401);
  const ok = await get(port, '/v1/objects', token);
  assert.equal(ok.status, 200);
  assert.equal((JSON.parse(ok.body) as { items: unknown[] }).items.length, 1);
});

test('/metrics speaks Prometheus with tend_ names and kind, name, instance labels', async () => {
  const token = readFileSync(join(world.stateDir, 'token'), 'utf8').trim();
  const { body } = await get(port, '/metrics', token);
  assert.match(body, /^tend_instance_up\{kind="Process",name="web",instance="web-0"\} 1$/m);
  assert.match(body, /^tend_instance_restarts_total\{kind="Process",name="web",instance="web-1"\} 0$/m);
  assert.match(body, /^# TYPE tend_instance_restarts_total counter$/m);
});

test('reconcile --once hands its pass to the running controller', async () => {
  world.write('db.yaml', processManifest('db', 'command: ["sleep", "1000"]'));
  // The running controller holds the lock: without the hand-off this pass could not run at all.
  const r = world.tend('reconcile', '--once', '--wait', '--timeout', '20s');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /process\/db 1\/1 Running/);
  const db = itemOf(world.items(), 'process/db');
  assert.equal(db.status.readyReplicas, 1);
  await waitFor('one db only', () => world.markedPids().length === 3);
});

test('logs prints stdout and stderr of an instance, and of every instance by object name', () => {
  const one = world.tend('logs', 'web-0');
  assert.equal(one.code, 0);
  assert.equal(one.stdout, 'hello-out\n');
  assert.equal(one.stderr, 'hello-err\n');
  const all = world.tend('logs', 'web', '--stream', 'stdout');
  assert.equal(all.stdout, '[web-0] hello-out\n[web-1] hello-out\n');
  assert.equal(world.tend('logs', 'nope').code, 1);
});

test('describe of an unknown object exits 1; get of an unknown kind is a usage error', () => {
  assert.equal(world.tend('describe', 'process/nope').code, 1);
  assert.equal(world.tend('get', 'widgets').code, 1, 'a bare word that is no kind names an object');
  assert.equal(world.tend('get', 'widgets/x').code, 2);
  const described = world.tend('describe', 'process/web');
  assert.equal(described.code, 0);
  assert.match(described.stdout, /web-0\s+Running/);
  const byName = world.tend('describe', 'web');
  assert.equal(byName.code, 0, byName.stderr);
  assert.match(byName.stdout, /^Name:\s+web$/m);
  const typo = world.tend('describe', 'process/webb');
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /unknown object process\/webb \(did you mean "process\/web"\?\)/);
});

test('stop and start through the controller: KIND/NAME, a bare name, and an unknown name with a suggestion', () => {
  const typo = world.tend('stop', 'process/webb');
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /unknown object process\/webb \(did you mean "process\/web"\?\)/);
  const stopped = world.tend('stop', 'process/web');
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal(stopped.stdout, 'process/web stopped\n');
  assert.equal(overrideOf('process/web')?.type, 'stopped');
  const started = world.tend('start', 'web');
  assert.equal(started.code, 0, started.stderr);
  assert.equal(started.stdout, 'process/web started\n');
  assert.equal(overrideOf('process/web'), undefined);
});

const overrideOf = (key: string): { type: string } | undefined => (itemOf(world.items(), key).status as { override?: { type: string } }).override;

function get(p: number, path: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    const req = request({ host: '127.0.0.1', port: p, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
