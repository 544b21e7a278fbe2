/**
 * The CLI's side of the control API: requests over `<state-dir>/tend.sock`. When no controller
 * answers, callers fall back to reading the state dir.
 */
import { request } from 'node:http';
import { socketPath } from './server.ts';

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Sends one request; rejects when no controller listens. */
export function callApi(stateDir: string, method: string, path: string, timeoutMs = 0): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socketPath(stateDir), method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: parseBody(text) });
      });
    });
    if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error('control API timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** True when a controller answers on the state dir's socket. */
export async function controllerRunning(stateDir: string): Promise<boolean> {
  try {
    return (await callApi(stateDir, 'GET', '/healthz', 2000)).status === 200;
  } catch {
    return false;
  }
}

/** Streams server-sent events from `path`, calling `onEvent` with each parsed payload. */
export function streamApi(stateDir: string, path: string, onEvent: (data: unknown) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socketPath(stateDir), method: 'GET', path }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (frame.startsWith('data: ')) onEvent(parseBody(frame.slice(6)));
        }
      });
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
