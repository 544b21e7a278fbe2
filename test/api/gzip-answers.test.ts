/**
 * Long answers of the control API go gzipped to a client that asks for it (the CLI does), and as
 * they are to one that does not: through a real Unix socket.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { callApi } from '../../src/api/client.ts';
import { parseHttpResponse, type HttpAnswer } from '../../src/api/http-response.ts';
import { socketPath, startApiServer, type ApiHandlers, type ApiServer } from '../../src/api/server.ts';

const items = Array.from({ length: 2000 }, (_, i) => ({ key: `process/p${i}`, status: { phase: 'Running', replicas: 1, readyReplicas: 1 } }));
// An answer of about 6 MB that gzips to about 900 KB: random hex does not shrink below half.
const large = Array.from({ length: 20_000 }, (_, i) => ({ key: `process/p${i}`, note: randomBytes(120).toString('hex') }));

let stateDir = '';
let server: ApiServer;

before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'tend-gzip-'));
  const handlers = {
    objects: (filter: { kind?: string }) => Promise.resolve({ items: filter.kind === 'none' ? [] : filter.kind === 'large' ? large : items }),
    describe: () => Promise.resolve(undefined),
    recentEvents: () => [],
    subscribeEvents: () => () => undefined,
    reconcile: () => Promise.resolve({}),
    diff: () => Promise.resolve({ actions: [] }),
    operate: () => false,
    metrics: () => Promise.resolve(''),
    alerts: () => ({ items: [] }),
  } satisfies ApiHandlers;
  server = await startApiServer(stateDir, handlers);
});

after(async () => {
  await server.close();
  rmSync(stateDir, { recursive: true, force: true });
});

// One HTTP/1.0 request with the given extra header lines, the whole answer parsed.
function raw(path: string, headers: readonly string[]): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: socketPath(stateDir) });
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.write([`GET ${path} HTTP/1.0`, 'Host: tend', ...headers, '', ''].join('\r\n')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const answer = parseHttpResponse(Buffer.concat(chunks));
      if (answer) resolve(answer);
      else reject(new Error('not HTTP'));
    });
  });
}

void describe('long answers of the control API', () => {
  void it('go gzipped when asked for, a fraction of the bytes, and the CLI reads them whole', async () => {
    const json = JSON.stringify({ items });
    const zipped = await raw('/v1/objects', ['Accept-Encoding: gzip']);
    assert.equal(zipped.headers.get('content-encoding'), 'gzip');
    assert.ok(zipped.body.length * 5 < Buffer.byteLength(json), `${zipped.body.length} bytes gzipped of ${Buffer.byteLength(json)}`);
    assert.equal(gunzipSync(zipped.body).toString('utf8'), json);
    assert.deepEqual((await callApi(stateDir, 'GET', '/v1/objects')).body, { items });
  });

  void it('go as they are to a client that does not ask, and short answers always do', async () => {
    const plain = await raw('/v1/objects', []);
    assert.equal(plain.headers.get('content-encoding'), undefined);
    assert.deepEqual(JSON.parse(plain.body.toString('utf8')), { items });
    const refused = await raw('/v1/objects', ['Accept-Encoding: gzip;q=0, identity']);
    assert.equal(refused.headers.get('content-encoding'), undefined);
    const short = await raw('/v1/objects?kind=none', ['Accept-Encoding: gzip']);
    assert.equal(short.headers.get('content-encoding'), undefined);
    assert.deepEqual(JSON.parse(short.body.toString('utf8')), { items: [] });
  });

  void it('are zipped in one go while the event loop is busy, not a turn of it per 16 KB', async () => {
    // Other work keeps the loop 20 ms a turn, as a bring-up does; count its turns until the answer is in.
    let turns = 0;
    let busy = true;
    const hog = (): void => {
      if (!busy) return;
      turns += 1;
      const until = performance.now() + 20;
      while (performance.now() < until);
      setImmediate(hog);
    };
    setImmediate(hog);
    try {
      const answer = await raw('/v1/objects?kind=large', ['Accept-Encoding: gzip']);
      assert.equal(answer.headers.get('content-encoding'), 'gzip');
      // 16 KB at a time would be over 50 trips: about 200 turns here, against about 40 in one go.
      assert.ok(answer.body.length > 50 * 16 * 1024, `${answer.body.length} bytes gzipped`);
      assert.ok(turns < 80, `${turns} turns of other work before the answer was in`);
    } finally {
      busy = false;
    }
  });
});
