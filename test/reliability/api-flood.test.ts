/**
 * Connection floods on `--listen` (loopback only, bounded in count and time): idle
 * unauthenticated connections, half-sent headers and oversized bodies. The controller keeps its
 * descriptors bounded, drops the idle ones by its timeouts, and `tend get` (over the Unix socket)
 * and an authenticated TCP request still answer. Needs `npm run build`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { API_LIMITS } from '../../src/api/server.ts';
import { createWorld, processManifest, stderrOf, waitFor, type World } from '../integration/harness.ts';

const FLOOD = 400;

let world: World | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await world?.cleanup();
  world = undefined;
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

function open(port: number, first?: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      if (first) socket.write(first);
      resolve(socket);
    });
    socket.on('error', () => resolve(socket));
    sockets.push(socket);
  });
}

async function request(port: number, text: string): Promise<string> {
  const socket = await open(port, text);
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  await waitFor('an answer', () => answer.includes('\r\n\r\n') || socket.destroyed, 10_000);
  socket.destroy();
  return answer;
}

test('a connection flood on --listen leaves the controller answering, with bounded descriptors', { timeout: 120_000 }, async (t) => {
  const w = (world = createWorld());
  w.write('keeper.yaml', processManifest('keeper', 'command: ["sleep", "100000"]'));
  const port = await freePort();
  const child = await w.up(['--listen', `127.0.0.1:${port}`]);
  const pid = child.pid ?? 0;
  // The API answers from before the bring-up: count descriptors once the watcher and the
  // keeper's files are open too.
  await waitFor('the bring-up to end', () => stderrOf(child).includes('controller running'));
  const baseline = fdCount(pid);
  const started = Date.now();
  await Promise.all(Array.from({ length: FLOOD }, (_, i) => open(port, i % 4 === 0 ? 'GET /v1/objects HTTP/1.1\r\nHost: x\r\n' : undefined)));
  const peak = fdCount(pid);
  const get = w.tend('get', '-o', 'json');
  const answeredMs = Date.now() - started;
  const report = `${FLOOD} idle or half-sent connections; controller fds ${baseline} -> ${peak}; tend get answered ${get.code === 0 ? 'yes' : 'no'} ${answeredMs} ms after the flood began`;
  t.diagnostic(report);
  process.stdout.write(`# api flood: ${report}\n`);
  assert.equal(get.code, 0, get.stderr);
  assert.ok(peak <= baseline + API_LIMITS.maxConnectionsTcp + 16, report);
  // Idle and half-sent connections are closed by the header and idle timeouts.
  await waitFor('the flood to be dropped', () => fdCount(pid) <= baseline + 4, API_LIMITS.idleTimeoutMs + 15_000);
  const oversized = await request(port, `POST /v1/reconcile HTTP/1.1\r\nHost: x\r\nContent-Length: ${API_LIMITS.maxBodyBytes + 1}\r\n\r\n`);
  assert.match(oversized, /^HTTP\/1\.1 413 /);
  const token = readFileSync(join(w.stateDir, 'token'), 'utf8').trim();
  const authed = await request(port, `GET /v1/objects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
  assert.match(authed, /^HTTP\/1\.1 200 /);
  assert.equal(child.exitCode, null);
});
