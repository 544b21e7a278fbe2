/**
 * The http probe against a real local server: an http:// URL gets its answer; an https:// URL to
 * the same plain-HTTP port goes through TLS (loaded at that first https probe) and fails there.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { probeHttp } from '../../src/monitor/http-probe.ts';
import { systemClock } from '../../src/platform/clock.ts';

const server = createServer((_request, response) => response.end('ok'));
let port = 0;

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => server.close());

test('an http probe passes on a 200', async () => {
  const outcome = await probeHttp(systemClock, `http://127.0.0.1:${port}/healthz`, {}, 5_000);
  assert.deepEqual(outcome, { ok: true, message: `HTTP 200 from http://127.0.0.1:${port}/healthz` });
});

test('an https probe speaks TLS, and fails against a plain-HTTP port', async () => {
  const outcome = await probeHttp(systemClock, `https://127.0.0.1:${port}/healthz`, {}, 5_000);
  assert.equal(outcome.ok, false);
  assert.match(outcome.message, new RegExp(`^GET https://127\\.0\\.0\\.1:${port}/healthz: .*(SSL|TLS|ssl|tls|wrong version|EPROTO)`));
});
