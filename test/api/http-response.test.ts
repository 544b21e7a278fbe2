/** The CLI's HTTP/1.0 answers: status, headers, body by length, and a chunked body de-chunked. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseHttpResponse } from '../../src/api/http-response.ts';

void it('reads the status, lower-cased headers and a body cut at Content-Length', () => {
  const answer = parseHttpResponse(Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"error":"x"}trailing'));
  assert.equal(answer?.status, 404);
  assert.equal(answer?.headers.get('content-type'), 'application/json');
  assert.equal(answer?.body.toString(), '{"error":"x"}');
});

void it('takes the rest as the body when no length is given, and de-chunks a chunked one', () => {
  assert.equal(parseHttpResponse(Buffer.from('HTTP/1.0 200 OK\r\n\r\nplain text'))?.body.toString(), 'plain text');
  const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n6\r\n:"é\r\n\r\n0\r\n\r\n';
  assert.equal(parseHttpResponse(Buffer.from(chunked))?.body.toString(), '{"a":"é\r\n');
});

void it('keeps multi-byte text whole across the head and the body', () => {
  const body = JSON.stringify({ message: 'ünïcode ✓' });
  const answer = parseHttpResponse(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`));
  assert.deepEqual(JSON.parse(answer?.body.toString() ?? ''), { message: 'ünïcode ✓' });
});

void it('refuses what is not an HTTP answer or has no end of head', () => {
  assert.equal(parseHttpResponse(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')), undefined);
  assert.equal(parseHttpResponse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n')), undefined);
});
