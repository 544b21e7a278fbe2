/**
 * `tend up` starts without NODE_EXTRA_CA_CERTS (bin/tend), so its https probes trust that file's
 * certificates through extraCaTrust: against a real TLS server whose certificate a throwaway CA
 * signed (made with openssl), the probe passes with the trust and fails without it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { extraCaTrust } from '../../src/cli/extra-ca.ts';
import { probeHttp } from '../../src/monitor/http-probe.ts';
import { systemClock } from '../../src/platform/clock.ts';

const dir = mkdtempSync(join(tmpdir(), 'tend-extra-ca-'));
let server: Server | undefined;
let url = '';
let skip: string | false = false;

const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

before(async () => {
  try {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=tend test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.ext', '-out', 'server.pem');
  } catch {
    skip = 'openssl is not installed';
    return;
  }
  server = createServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')) }, (_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
});

after(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('an https probe trusts the certificates NODE_EXTRA_CA_CERTS names, and only with them', async (t) => {
  if (skip) return t.skip(skip);
  const trusted = await probeHttp(systemClock, url, {}, 5_000, extraCaTrust({ NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') }));
  assert.deepEqual(trusted, { ok: true, message: `HTTP 200 from ${url}` });
  const untrusted = await probeHttp(systemClock, url, {}, 5_000, extraCaTrust({}));
  assert.equal(untrusted.ok, false);
  assert.match(untrusted.message, /certificate/);
});

test('an unreadable file adds nothing', () => {
  const trust = extraCaTrust({ NODE_EXTRA_CA_CERTS: join(dir, 'no-such.pem') });
  assert.deepEqual(trust(), {});
});
