/**
 * The CLI's side of the control API: requests over `<state-dir>/tend.sock`. When no controller
 * answers, callers fall back to reading the state dir.
 *
 * A request is one HTTP/1.0 exchange written straight onto the socket (`node:net`): the answer
 * comes whole (never chunked) and the server closes the connection, so there is nothing to negotiate, and a CLI
 * call does not load Node's HTTP client (about a fifth of a short command's start-up). Only the
 * event stream, which stays open, uses `node:http`, loaded when it is asked for.
 */
import { createConnection } from 'node:net';
import { parseHttpResponse, type HttpAnswer } from './http-response.ts';
import { socketPath } from './socket-path.ts';

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Sends one request; rejects when no controller listens. */
export async function callApi(stateDir: string, method: string, path: string, timeoutMs = 0): Promise<ApiResponse> {
  const { status, bytes } = await callApiBytes(stateDir, method, path, timeoutMs);
  return { status, body: parseBody(bytes.toString('utf8')) };
}

/** What {@link callApiBytes} answers: the status and the body's bytes, unzipped. */
export interface ApiBytes {
  readonly status: number;
  readonly bytes: Buffer;
}

/** {@link callApi} with the body's bytes, not decoded. */
export function callApiBytes(stateDir: string, method: string, path: string, timeoutMs = 0): Promise<ApiBytes> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: socketPath(stateDir) });
    const chunks: Buffer[] = [];
    // No half-close after the request: the server would take it for a client gone and drop the answer.
    // A long answer comes gzipped (a tenth of the bytes): see the server's `send`.
    socket.on('connect', () => socket.write(`${method} ${path} HTTP/1.0\r\nHost: tend\r\nAccept-Encoding: gzip\r\nContent-Length: 0\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const answer = parseHttpResponse(Buffer.concat(chunks));
      if (!answer) return reject(new Error('control API sent an answer that is not HTTP'));
      try {
        resolve({ status: answer.status, bytes: bodyOf(answer) });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    if (timeoutMs > 0) socket.setTimeout(timeoutMs, () => socket.destroy(new Error('control API timed out')));
  });
}

// The body as sent, unzipped when it came gzipped. zlib is loaded only then: most answers are short.
function bodyOf(answer: HttpAnswer): Buffer {
  if (answer.headers.get('content-encoding')?.toLowerCase() !== 'gzip') return answer.body;
  return process.getBuiltinModule('node:zlib').gunzipSync(answer.body);
}

// What connecting to the socket of a state dir no controller serves fails with: no socket file,
// or a file left behind by a controller that is gone.
const NOT_SERVED = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK']);

/**
 * Sends one request when a controller serves the state dir, undefined when none does: the CLI's
 * fast path, one round trip instead of a health check followed by the request.
 */
export function callApiIfServed(stateDir: string, method: string, path: string, timeoutMs = 0): Promise<ApiResponse | undefined> {
  return unlessNotServed(callApi(stateDir, method, path, timeoutMs));
}

/** {@link callApiIfServed} with the body's bytes, not decoded. */
export function callApiBytesIfServed(stateDir: string, method: string, path: string): Promise<ApiBytes | undefined> {
  return unlessNotServed(callApiBytes(stateDir, method, path));
}

async function unlessNotServed<T>(answer: Promise<T>): Promise<T | undefined> {
  try {
    return await answer;
  } catch (error) {
    if (NOT_SERVED.has((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  }
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
export async function streamApi(stateDir: string, path: string, onEvent: (data: unknown) => void): Promise<void> {
  const { request } = await import('node:http');
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
