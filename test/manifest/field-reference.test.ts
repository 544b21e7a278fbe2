/**
 * docs/manifest-fields.md is generated from schemas/; this fails when they drift apart.
 * `npm run docs:fields` rewrites the page.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fieldReference } from '../../src/manifest/field-reference.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PAGE = join(ROOT, 'docs', 'manifest-fields.md');

void it('docs/manifest-fields.md matches the schemas', () => {
  const dir = join(ROOT, 'schemas');
  const schemas = new Map(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>]));
  const page = fieldReference(schemas);
  if (process.env.UPDATE_DOCS === '1') writeFileSync(PAGE, page);
  assert.ok(page.includes('| `spec.restartPolicy` |'), 'the Process table has restartPolicy');
  assert.ok(page.includes('| `spec.backoff.initialDelay` |'), 'nested fields are listed');
  assert.equal(readFileSync(PAGE, 'utf8'), page, 'docs/manifest-fields.md is stale: run npm run docs:fields');
});
