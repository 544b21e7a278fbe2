/**
 * The control API: HTTP on the Unix socket `<state-dir>/tend.sock` (mode 0600), optionally also on
 * a TCP address where every path but `/healthz` needs the bearer token from `<state-dir>/token`.
 * Routes and connection limits only; what they answer comes from `ApiHandlers`.
 *
 * No client can exhaust the controller: each listener caps its connections (the TCP one more
 * tightly, so a flood there leaves the socket free for the CLI), and idle, slow and oversized
 * requests are cut (see {@link API_LIMITS}). Streams (`/v1/events?follow=1`) and lease long polls
 * are exempt from the idle timeout; they end by their own rules.
 */
import { timingSafeEqual } from 'node:crypto';
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzip } from 'node:zlib';
import type { TendEvent } from '../model/event.ts';
import { readOrCreateToken } from '../platform/state-token.ts';
import { routePools, type PoolHandlers } from './pool-routes.ts';
import { socketPath } from './socket-path.ts';
import { crossSiteRefusal, isPublicAsset } from './browser-guard.ts';
import { routeDashboard, type DashboardHandlers } from './dashboard-routes.ts';
import { bodyText } from './json-body.ts';
import { acceptsGzip } from './content-coding.ts';

export interface ApiHandlers {
  /** With `summary`, one line per object (no instances, spec or manifest): the dashboard's overview. */
  objects(filter: { kind?: string; selector?: string; summary?: boolean }): Promise<unknown>;
  /** Undefined for an unknown object. */
  describe(key: string): Promise<unknown>;
  recentEvents(forKey?: string): readonly TendEvent[];
  subscribeEvents(listener: (event: TendEvent) => void): () => void;
  reconcile(): Promise<unknown>;
  /** What a pass would do now (`tend diff`), after a look at the manifests. */
  diff(): Promise<unknown>;
  operate(key: string, verb: 'start' | 'stop' | 'restart'): boolean;
  /** Stops every managed program, then the controller (`tend down`); absent where nothing can. */
  shutdown?(): unknown;
  metrics(): Promise<string>;
  /** Open resource alerts. */
  alerts(): unknown;
  /** Pool leases (see pool-routes.ts). */
  readonly pools?: PoolHandlers;
  /** The web dashboard's own routes (see dashboard-routes.ts). */
  readonly dashboard?: DashboardHandlers;
}

export interface ApiServer {
  close(): Promise<void>;
}

export { socketPath } from './socket-path.ts';

/** Connection and request limits of both listeners. */
export const API_LIMITS = {
  /** Open connections per listener; more are closed at once. */
  maxConnectionsSocket: 256,
  maxConnectionsTcp: 64,
  /** A connection with no traffic for this long is closed (keep-alive included). */
  idleTimeoutMs: 30_000,
  /** Time to send the request headers. */
  headersTimeoutMs: 5_000,
  /** Time to send the whole request, body included. */
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderBytes: 16 * 1024,
  /** Larger request bodies get 413; no route reads one. */
  maxBodyBytes: 64 * 1024,
} as const;

type Limits = typeof API_LIMITS;

// An HTTP server with the limits applied; `handle` sees only requests within them.
function limitedServer(limits: Limits, maxConnections: number, handle: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      // How often the header and request timeouts are checked (default 30 s).
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    (req, res) => {
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > limits.maxBodyBytes || req.headers['transfer-encoding'] !== undefined) {
        res.setHeader('connection', 'close');
        return send(res, 413, { error: `request bodies are limited to ${limits.maxBodyBytes} bytes` });
      }
      handle(req, res);
    },
  );
  server.maxConnections = maxConnections;
  server.setTimeout(limits.idleTimeoutMs, (socket) => socket.destroy());
  return server;
}

// Long-lived answers (event streams, lease long polls) are bounded by their own rules.
function exemptFromIdleTimeout(req: IncomingMessage): void {
  req.socket.setTimeout(0);
}


/** Starts the API on the state dir's socket, and on `listen` (`host:port`) when given. */
export async function startApiServer(stateDir: string, handlers: ApiHandlers, listen?: string, limits: Limits = API_LIMITS): Promise<ApiServer> {
  const servers: Server[] = [];
  const path = socketPath(stateDir);
  removeStale(path);
  const local = limitedServer(limits, limits.maxConnectionsSocket, (req, res) => void route(handlers, req, res));
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => local.once('error', reject).listen(path, resolve));
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  servers.push(local);
  if (listen) servers.push(await listenTcp(listen, readOrCreateToken(stateDir), handlers, limits));
  return {
    async close() {
      await Promise.all(servers.map((s) => new Promise((resolve) => { s.closeAllConnections(); s.close(resolve); })));
      removeStale(path);
    },
  };
}

async function listenTcp(address: string, token: string, handlers: ApiHandlers, limits: Limits): Promise<Server> {
  const at = address.lastIndexOf(':');
  const host = at > 0 ? address.slice(0, at) : '127.0.0.1';
  const port = Number(address.slice(at + 1));
  const expected = Buffer.from(`Bearer ${token}`);
  const server = limitedServer(limits, limits.maxConnectionsTcp, (req, res) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    const path = new URL(req.url ?? '/', 'http://tend').pathname;
    const allowed = path === '/healthz' || isPublicAsset(req.method, path) || (given.length === expected.length && timingSafeEqual(given, expected));
    if (!allowed) return send(res, 401, { error: 'missing or wrong bearer token (see <state-dir>/token)' });
    void route(handlers, req, res);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}

async function route(handlers: ApiHandlers, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://tend');
  const parts = url.pathname.split('/').filter(Boolean);
  const refusal = crossSiteRefusal(req);
  if (refusal) return send(res, 403, { error: refusal });
  try {
    if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, { ok: true });
    if (await routeDashboard(handlers.dashboard, req, res, url, send)) return;
    if (req.method === 'GET' && url.pathname === '/metrics') return sendText(res, await handlers.metrics());
    if (parts[0] !== 'v1') return send(res, 404, { error: `no route ${url.pathname}` });
    if (req.method === 'GET' && parts[1] === 'objects' && parts.length === 2) {
      return send(res, 200, await handlers.objects(filterOf(url)));
    }
    if (req.method === 'GET' && parts[1] === 'objects' && parts.length === 4) {
      const item = await handlers.describe(`${parts[2]}/${parts[3]}`);
      return item === undefined ? send(res, 404, { error: `unknown object ${parts[2]}/${parts[3]}` }) : send(res, 200, item);
    }
    if (req.method === 'POST' && parts[1] === 'objects' && parts.length === 5) return operate(handlers, parts, res);
    if (req.method === 'POST' && parts[1] === 'reconcile') return send(res, 200, await handlers.reconcile());
    if (req.method === 'POST' && parts[1] === 'shutdown' && parts.length === 2 && handlers.shutdown) return send(res, 202, handlers.shutdown());
    if (req.method === 'GET' && parts[1] === 'diff' && parts.length === 2) return send(res, 200, await handlers.diff());
    if (req.method === 'GET' && parts[1] === 'events') return events(handlers, url, req, res);
    if (req.method === 'GET' && parts[1] === 'alerts') return send(res, 200, handlers.alerts());
    if (parts[1] === 'pools') exemptFromIdleTimeout(req);
    if (await routePools(handlers.pools, req, res, url, send)) return;
    send(res, 404, { error: `no route ${req.method ?? ''} ${url.pathname}` });
  } catch (error) {
    send(res, 500, { error: (error as Error).message });
  }
}

function filterOf(url: URL): { kind?: string; selector?: string; summary?: boolean } {
  const kind = url.searchParams.get('kind');
  const selector = url.searchParams.get('selector');
  const summary = url.searchParams.get('view') === 'summary';
  return { ...(kind ? { kind } : {}), ...(selector ? { selector } : {}), ...(summary ? { summary } : {}) };
}

function operate(handlers: ApiHandlers, parts: string[], res: ServerResponse): void {
  const verb = parts[4];
  if (verb !== 'start' && verb !== 'stop' && verb !== 'restart') return send(res, 404, { error: `unknown action ${verb ?? ''}` });
  const key = `${parts[2]}/${parts[3]}`;
  if (!handlers.operate(key, verb)) return send(res, 404, { error: `unknown object ${key}` });
  send(res, 200, { ok: true, object: key, action: verb });
}

// Recent events as JSON, or with ?follow=1 a server-sent event stream.
function events(handlers: ApiHandlers, url: URL, req: IncomingMessage, res: ServerResponse): void {
  const forKey = url.searchParams.get('for') ?? undefined;
  const recent = handlers.recentEvents(forKey);
  if (url.searchParams.get('follow') !== '1') return send(res, 200, { items: recent });
  exemptFromIdleTimeout(req);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(recent.map(frameOf).join(''));
  const unsubscribe = handlers.subscribeEvents((event) => {
    if (!forKey || event.object === forKey) res.write(frameOf(event));
  });
  req.on('close', unsubscribe);
}

// One serialisation per event, however many streams follow it (dashboards, `tend events -f`).
const frames = new WeakMap<TendEvent, string>();
function frameOf(event: TendEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) frames.set(event, (frame = `data: ${JSON.stringify(event)}\n\n`));
  return frame;
}

// Answers from this size on go gzipped to a client that takes it (the CLI, a browser). JSON
// shrinks tenfold or more, so a list of thousands of objects needs a few socket buffers, not
// dozens, each of which waits for a turn of the event loop while a bring-up keeps it busy. The
// compression runs on libuv's thread pool, off the event loop.
const GZIP_FROM = 64 * 1024;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = bodyText(body);
  if (text.length >= GZIP_FROM && acceptsGzip(acceptEncoding(res.req))) return sendGzipped(res, status, text);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function acceptEncoding(req: IncomingMessage | undefined): string | undefined {
  const header = req?.headers['accept-encoding'];
  return typeof header === 'string' ? header : undefined;
}

// The whole answer in one trip through the thread pool: zlib hands back at most `chunkSize` bytes
// per trip, and each further trip waits for the event loop to come round. With the default 16 KB,
// a diff of 10,000 keys (1.6 MB, 100 KB gzipped) took seven trips and 300-700 ms during a bring-up.
// JSON shrinks to well under a quarter.
function zipChunkSize(length: number): number {
  return Math.min(Math.max(length >> 2, 64 * 1024), 16 * 1024 * 1024);
}

function sendGzipped(res: ServerResponse, status: number, text: string): void {
  gzip(text, { level: 1, chunkSize: zipChunkSize(text.length) }, (error, zipped) => {
    if (res.destroyed) return;
    if (error) {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      return void res.end(text);
    }
    res.writeHead(status, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': zipped.length, vary: 'accept-encoding' });
    res.end(zipped);
  });
}

function sendText(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  res.end(text);
}

function removeStale(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Not there.
  }
}
