/**
 * The web dashboard's routes: its static files at `/` and `/dashboard/*`, and the data only it
 * needs beside the objects and events the API already serves: the plan the next pass would
 * carry out, the scheduler's queue, CPU and memory over time, and an instance's log tail.
 *
 * Owns: matching these paths. Must not: compute answers (DashboardHandlers does) or check the
 * token (server.ts does, before any route).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readAsset } from './dashboard-assets.ts';

/** The answers behind the dashboard's own routes. */
export interface DashboardHandlers {
  /** What the next reconcile would do: the same plan `tend diff` renders. */
  plan(): Promise<unknown>;
  /** The scheduler's queue, verdicts and capacity against use. */
  scheduler(): Promise<unknown>;
  /** CPU and memory over time of an object's instances (`process/web`); with `top`, only the busiest. */
  usage(object: string, top?: number): unknown;
  /** The last `lines` lines of an instance's stdout and stderr; undefined when it has no logs. */
  logs(instance: string, lines: number): unknown;
}

type Send = (res: ServerResponse, status: number, body: unknown) => void;

const MAX_TAIL = 1000;
const MAX_TOP = 50;

/** Answers the request when it is one of the dashboard's; false otherwise. */
export async function routeDashboard(handlers: DashboardHandlers | undefined, req: IncomingMessage, res: ServerResponse, url: URL, send: Send): Promise<boolean> {
  if (req.method !== 'GET') return false;
  const path = url.pathname;
  if (path === '/' || path === '/index.html') return sendAsset(res, 'index.html');
  if (path.startsWith('/dashboard/')) return sendAsset(res, path.slice('/dashboard/'.length));
  if (!handlers) return false;
  const parts = path.split('/').filter(Boolean);
  if (parts[0] !== 'v1') return false;
  if (parts[1] === 'plan' && parts.length === 2) return answer(res, send, await handlers.plan());
  if (parts[1] === 'scheduler' && parts.length === 2) return answer(res, send, await handlers.scheduler());
  if (parts[1] === 'usage' && parts.length === 4) return answer(res, send, handlers.usage(`${parts[2]}/${parts[3]}`, topOf(url)));
  if (parts[1] === 'logs' && parts.length === 3 && parts[2]) {
    const lines = Math.min(MAX_TAIL, Math.max(1, Number(url.searchParams.get('tail') ?? 100) || 100));
    const body = handlers.logs(parts[2], lines);
    return answer(res, send, body, body === undefined ? `no logs for ${parts[2]}` : undefined);
  }
  return false;
}

// `?top=N` (1 to MAX_TOP), or undefined for every instance.
function topOf(url: URL): number | undefined {
  const top = Number(url.searchParams.get('top'));
  return Number.isInteger(top) && top > 0 ? Math.min(top, MAX_TOP) : undefined;
}

function answer(res: ServerResponse, send: Send, body: unknown, missing?: string): true {
  if (missing !== undefined) send(res, 404, { error: missing });
  else send(res, 200, body);
  return true;
}

function sendAsset(res: ServerResponse, name: string): true {
  const asset = readAsset(name);
  if (!asset) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`no dashboard file ${name}\n`);
    return true;
  }
  res.writeHead(200, {
    'content-type': asset.type,
    'content-length': asset.body.length,
    'cache-control': 'no-cache',
    'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(asset.body);
  return true;
}
