/**
 * Bounded input: every number, duration, quantity, count and string of a manifest has a
 * maximum, and passing one is a positioned error that names the limit; YAML that would take the
 * parser or the controller down (deep nesting, alias bombs, huge key counts, custom tags,
 * non-UTF-8) is a positioned diagnostic, never a throw. Properties (fast-check, seed logged on
 * failure): `maxAmount` agrees with parseDuration / parseQuantity / parseCpu on every string
 * the schemas' patterns accept.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AMOUNT_PARSERS } from '../../src/manifest/amount-keyword.ts';
import { decodeUtf8 } from '../../src/manifest/decode.ts';
import { parseCpu, parseDuration, parseQuantity } from '../../src/manifest/normalize.ts';
import { MAX_DOCUMENTS, MAX_NESTING_DEPTH } from '../../src/manifest/parse.ts';
import { MAX_FILE_DIAGNOSTICS } from '../../src/manifest/validate.ts';
import { check, lines, processDoc } from './fixtures.ts';

const nines = (n: number): string => '9'.repeat(n);

void describe('bounds on numbers, durations and quantities', () => {
  void it('refuses a duration beyond ten years, with its place and the limit', () => {
    assert.deepEqual(lines(check(processDoc('web', ['command: [x]', 'stop: {gracePeriod: 876001h}']))), [
      'manifests/web.yaml:7:12: spec.stop.gracePeriod: must be at most 87600h (10 years) (got "876001h")',
    ]);
  });

  void it('refuses a duration of 309+ digits instead of reading it as Infinity', () => {
    const result = check(processDoc('web', ['command: [x]', `startupTimeout: ${nines(400)}s`]));
    assert.equal(result.ok, false);
    assert.ok(lines(result).some((l) => l.startsWith('manifests/web.yaml:7:5: spec.startupTimeout: must be at most 87600h (10 years)')), lines(result).join('\n'));
  });

  void it('refuses a 400-digit memory quantity, as a string and as a YAML number', () => {
    const asString = check(processDoc('web', ['command: [x]', `resources: {limits: {memory: "${nines(400)}"}}`]));
    assert.ok(lines(asString).some((l) => l.includes('spec.resources.limits.memory: must be at most 1Pi')), lines(asString).join('\n'));
    const asNumber = check(processDoc('web', ['command: [x]', `resources: {limits: {memory: ${nines(400)}}}`]));
    assert.deepEqual(lines(asNumber), [
      `manifests/web.yaml:7:26: spec.resources.limits.memory: must be at most ${2 ** 50} (got a number too large to represent)`,
    ]);
  });

  void it('refuses a 400-digit Node capacity.memory', () => {
    const text = ['apiVersion: tend/v1', 'kind: Node', 'metadata: {name: local}', 'spec:', `  capacity: {memory: "${nines(400)}"}`, ''].join('\n');
    const result = check(text, { file: 'manifests/node.yaml' });
    assert.equal(result.ok, false);
    assert.ok(lines(result).some((l) => l.startsWith('manifests/node.yaml:5:14: spec.capacity.memory: must be at most 1Pi')), lines(result).join('\n'));
  });

  void it('refuses completions: 1000000000 with the limit', () => {
    const text = ['apiVersion: tend/v1', 'kind: Job', 'metadata: {name: batch}', 'spec:', '  command: [x]', '  completions: 1000000000', ''].join('\n');
    assert.deepEqual(lines(check(text, { file: 'manifests/job.yaml' })), [
      'manifests/job.yaml:6:3: spec.completions: must be at most 10000 (got 1000000000)',
    ]);
  });

  void it('bounds cpu, string lengths and list lengths', () => {
    const result = check(processDoc('web', [
      `command: [x, "${'a'.repeat(131_073)}"]`,
      'resources: {limits: {cpu: "100001"}}',
      `dependsOn: [${Array.from({ length: 257 }, (_, i) => `{name: d${i}}`).join(', ')}]`,
    ]));
    const found = lines(result).map((l) => l.replace(/ \(got .*$/, ''));
    assert.ok(found.includes('manifests/web.yaml:6:18: spec.command[1]: must be at most 131072 characters'), found.join('\n'));
    assert.ok(found.includes('manifests/web.yaml:7:26: spec.resources.limits.cpu: must be at most 100000 cores'), found.join('\n'));
    assert.ok(found.includes('manifests/web.yaml:8:5: spec.dependsOn: must have at most 256 items'), found.join('\n'));
  });

  void it('accepts the largest allowed values', () => {
    const result = check(processDoc('web', ['command: [x]', 'stop: {gracePeriod: 87600h}', 'resources: {limits: {memory: 1Pi, cpu: 100000}}']));
    assert.deepEqual(lines(result), []);
  });

  void it('maxAmount reads every amount the patterns accept as the normalisers do', () => {
    const digits = fc.stringMatching(/^[0-9]{1,12}(?:\.[0-9]{1,4})?$/);
    const parse = (unit: keyof typeof AMOUNT_PARSERS, text: string): number => (eval(AMOUNT_PARSERS[unit]) as (t: string) => number)(text);
    fc.assert(fc.property(fc.array(fc.tuple(digits, fc.constantFrom('ms', 's', 'm', 'h')), { minLength: 1, maxLength: 4 }), (parts) => {
      const text = parts.map(([n, u]) => n + u).join('');
      assert.equal(Math.round(parse('duration', text)), parseDuration(text));
    }));
    fc.assert(fc.property(digits, fc.constantFrom('', 'k', 'M', 'G', 'T', 'P', 'E', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'), (n, unit) => {
      assert.equal(Math.ceil(parse('bytes', n + unit)), parseQuantity(n + unit));
    }));
    fc.assert(fc.property(fc.oneof(digits, fc.stringMatching(/^[0-9]{1,9}m$/)), (text) => {
      assert.equal(parse('cores', text), parseCpu(text));
    }));
  });
});

void describe('strings that reach the kernel', () => {
  void it('refuses NUL in argv and env, and never shows a secret value', () => {
    const result = check(processDoc('web', ['command: [x, "a\\0b"]', 'env: {TOKEN: {value: "s3\\0cret", secret: true}, PLAIN: "p\\0q"}']));
    assert.deepEqual(lines(result), [
      'manifests/web.yaml:6:18: spec.command[1]: must not contain a NUL character (got "a\\u0000b")',
      'manifests/web.yaml:7:19: spec.env.TOKEN.value: must not contain a NUL character (got a secret value)',
      'manifests/web.yaml:7:53: spec.env.PLAIN: must not contain a NUL character (got "p\\u0000q")',
    ]);
    assert.ok(!JSON.stringify(result).includes('s3'));
  });

  void it('refuses NUL in an envFrom value without showing it', () => {
    const result = check(processDoc('web', ['command: [x]', 'envFrom: [{file: .env}]']), { env: { '/srv/manifests/.env': 'KEY=top\0secret\n' } });
    assert.deepEqual(lines(result), ['manifests/web.yaml:7:16: spec.envFrom[0].file: .env:1: the value contains a NUL character']);
  });
});

void describe('YAML limits', () => {
  void it('refuses deep nesting at the place it goes too deep, without running out of stack', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const result = check(processDoc('web', ['command: [x]', `env: ${deep}`]));
    assert.equal(result.diagnostics.length, 1);
    assert.match(lines(result)[0] ?? '', new RegExp(`^manifests/web\\.yaml:7:\\d+: invalid YAML: nested more than ${MAX_NESTING_DEPTH} levels deep`));
  });

  void it('refuses a billion-laughs alias bomb', () => {
    const rows = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) rows.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const result = check(`${rows.join('\n')}\n`);
    assert.deepEqual(result.diagnostics.map((d) => d.code), ['YamlSyntax']);
    assert.match(result.diagnostics[0]?.message ?? '', /alias/);
  });

  void it('refuses more documents than the limit, at the first one over it', () => {
    const result = check('---\n'.repeat(MAX_DOCUMENTS + 5));
    assert.deepEqual(lines(result), [`manifests/web.yaml:${MAX_DOCUMENTS + 1}:1: invalid YAML: more than ${MAX_DOCUMENTS} documents in one file; split it into several files`]);
  });

  void it('finds duplicate keys among many in linear time', () => {
    const env = Array.from({ length: 4000 }, (_, i) => `        K${i}: v`);
    const result = check(processDoc('web', ['command: [x]', 'env:', ...env, '        K7: again']));
    assert.ok(lines(result).some((l) => l === `manifests/web.yaml:${8 + 4000}:13: invalid YAML: Map keys must be unique ("K7" is repeated)`), lines(result).slice(0, 3).join('\n'));
  });

  void it('refuses collection keys and YAML 1.1 tags as positioned errors, never as warnings', () => {
    const warnings: unknown[] = [];
    const onWarning = (w: unknown): number => warnings.push(w);
    process.on('warning', onWarning);
    const keys = check(processDoc('web', ['command: [x]', 'env:', '    ? [a, b]', '    : 1']));
    const tags = check(processDoc('web', ['command: [x]', 'env: {A: !!binary aGVsbG8=}']));
    process.off('warning', onWarning);
    assert.deepEqual(lines(keys), ['manifests/web.yaml:8:11: invalid YAML: a mapping key must be a plain value, not a list or mapping']);
    assert.deepEqual(tags.diagnostics.map((d) => [d.line, d.col, d.code]), [[7, 14, 'YamlSyntax']]);
    assert.match(tags.diagnostics[0]?.message ?? '', /custom tags are not allowed/);
    assert.deepEqual(warnings, []);
  });

  void it('shows at most a bounded number of problems per file', () => {
    const docs = Array.from({ length: 200 }, (_, i) => `---\nkind: Bad${i}\n`).join('');
    const result = check(docs);
    assert.equal(result.diagnostics.length, MAX_FILE_DIAGNOSTICS + 1);
    assert.match(result.diagnostics.at(-1)?.message ?? '', /^\d+ more problems in this file not shown/);
  });
});

void describe('decodeUtf8', () => {
  void it('passes UTF-8 through', () => {
    assert.deepEqual(decodeUtf8(Buffer.from('name: café ✓\n')), { ok: true, text: 'name: café ✓\n' });
  });
  void it('names the line and column of the first byte that is not UTF-8', () => {
    const result = decodeUtf8(Buffer.concat([Buffer.from('a: 1\nb: é'), Buffer.from([0xe9, 0x0a])]));
    assert.deepEqual(result, { ok: false, at: { line: 2, col: 5 }, message: 'not UTF-8: byte 0xe9 at offset 10; save the file as UTF-8' });
  });
  void it('refuses overlong forms and surrogates', () => {
    assert.equal(decodeUtf8(Buffer.from([0xc0, 0xaf])).ok, false);
    assert.equal(decodeUtf8(Buffer.from([0xed, 0xa0, 0x80])).ok, false);
  });
});
