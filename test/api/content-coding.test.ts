import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptsGzip } from '../../src/api/content-coding.ts';

void describe('acceptsGzip', () => {
  void it('takes gzip when named or covered by *, and not when refused with q=0', () => {
    assert.equal(acceptsGzip('gzip'), true);
    assert.equal(acceptsGzip('gzip, deflate, br, zstd'), true, "a browser's list");
    assert.equal(acceptsGzip('br;q=1.0, GZIP;q=0.5'), true, 'any case, any non-zero weight');
    assert.equal(acceptsGzip('*'), true);
    assert.equal(acceptsGzip('x-gzip'), true);
    assert.equal(acceptsGzip(undefined), false, 'no header: identity only');
    assert.equal(acceptsGzip(''), false);
    assert.equal(acceptsGzip('identity'), false);
    assert.equal(acceptsGzip('deflate, br'), false);
    assert.equal(acceptsGzip('gzip;q=0'), false);
    assert.equal(acceptsGzip('gzip; q=0.000, *'), false, 'named and refused: * does not take it back');
    assert.equal(acceptsGzip('*;q=0'), false);
  });
});
