/**
 * Parses a whole HTTP/1.x response as the control API sends it to an HTTP/1.0 request: status
 * line, headers, then the body (by Content-Length when given, de-chunked if the server chunked it
 * anyway). Pure: bytes in, status and body out.
 */

/** A parsed response. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * The status, headers (lower-cased names) and body of `bytes`; undefined when it is not an HTTP
 * response.
 * @example parseHttpResponse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'))?.status // 200
 */
export function parseHttpResponse(bytes: Buffer): HttpAnswer | undefined {
  const headEnd = bytes.indexOf(HEAD_END);
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...lines] = bytes.toString('latin1', 0, headEnd).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  if (status === undefined) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const rest = bytes.subarray(headEnd + HEAD_END.length);
  const length = Number(headers.get('content-length') ?? NaN);
  const body = headers.get('transfer-encoding')?.toLowerCase() === 'chunked' ? dechunk(rest) : Number.isInteger(length) ? rest.subarray(0, length) : rest;
  return { status: Number(status), headers, body };
}

// Chunked transfer coding: hex size line, data, CRLF; a zero size ends it.
function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(bytes.toString('latin1', at, lineEnd), 16);
    if (!Number.isFinite(size) || size <= 0) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
