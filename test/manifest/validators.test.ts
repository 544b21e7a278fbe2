/**
 * The standalone validators the build generates must be interchangeable with the ones ajv
 * compiles from schemas/: same verdict and the same error objects (diagnostics are built from
 * them), and the runtime must use them only when they match the schemas on disk.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { runInThisContext } from 'node:vm';
import fc from 'fast-check';
import { generatedValidators, compileValidators } from '../../src/manifest/validators.ts';
import type { Validators } from '../../src/manifest/validators.ts';
import { validatorsModuleCode } from '../../src/manifest/generate-validators.ts';
import { KINDS } from '../../src/model/object.ts';

// Evaluates the generated CommonJS code in this realm, as `require` would load the built file.
function evaluateModule(code: string): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = runInThisContext(`(function (exports, require, module) {${code}\n})`) as (...args: unknown[]) => void;
  wrapper(module.exports, createRequire(import.meta.url), module);
  return module.exports;
}

const generatedModule = evaluateModule(validatorsModuleCode());
const compiled = compileValidators();

function generated(): Validators {
  const validators = generatedValidators(generatedModule);
  assert.ok(validators, 'the generated module is accepted');
  return validators;
}

// Verdict and errors of the envelope and of the document's kind, as validate.ts runs them.
function outcome(validators: Validators, doc: Record<string, unknown>): unknown[] {
  const { envelope } = validators;
  const result: unknown[] = [envelope(doc), envelope.errors];
  const kind = KINDS.find((k) => k === doc.kind);
  if (kind) {
    const spec = validators.spec(kind);
    result.push(spec(doc.spec), spec.errors);
  }
  return result;
}

const doc = (kind: string, spec: unknown, name: unknown = 'web'): Record<string, unknown> => ({
  apiVersion: 'tend/v1',
  kind,
  metadata: { name, labels: { app: 'shop' } },
  spec,
});

const DOCUMENTS: readonly Record<string, unknown>[] = [
  doc('Process', { command: ['node', 'server.js'], replicas: 2, env: { A: '1', B: { value: 'x', secret: true } }, restartPolicy: 'Always' }),
  doc('Process', { command: 'node server.js | tee out.log', shell: true, backoff: { initialDelay: '1s', maxDelay: '1m' }, stop: { gracePeriod: '5s' } }),
  doc('Process', { command: 'node server.js', restartPolicy: 'always', priority: 1.5, env: { A: [1] }, stop: { signal: 'TERM', zzz: 1 } }),
  doc('Process', { comand: ['x'], replicas: -1, logs: { maxSize: '10MB' }, probes: { liveness: { period: '1s' } } }),
  doc('Job', { command: ['./report.sh'], priority: 'low' }),
  doc('ProcessPool', { template: { command: ['python3', 'worker.py'], replicas: 2 }, minReplicas: 5, maxReplicas: 2 }),
  doc('Node', { capacity: { cpu: 8, memory: '16Gi', licenses: 3 }, aging: { every: '1m', boost: 1 } }),
  { apiVersion: 'v1', kind: 'Proces', metadata: { name: 'Web_Server', labels: { 'bad key!': 'x' } }, spec: {} },
  { kind: 'Process', metadata: {}, extra: true },
];

void describe('generated validators', () => {
  void it('give the same verdicts and errors as the compiled ones', () => {
    const fromBuild = generated();
    for (const value of DOCUMENTS) assert.deepStrictEqual(outcome(fromBuild, value), outcome(compiled, value), JSON.stringify(value));
  });

  void it('agree with the compiled ones on arbitrary specs', () => {
    const fromBuild = generated();
    const spec = fc.dictionary(
      fc.constantFrom('command', 'shell', 'env', 'envFrom', 'probes', 'priority', 'dependsOn', 'resources', 'backoff', 'stop', 'template', 'capacity', 'replicas'),
      fc.anything({ maxDepth: 3 }),
    );
    const arbitrary = fc.tuple(fc.constantFrom(...KINDS), spec, fc.string({ maxLength: 8 })).map(([kind, s, name]) => doc(kind, s, name));
    fc.assert(fc.property(arbitrary, (value) => assert.deepStrictEqual(outcome(fromBuild, value), outcome(compiled, value))), { numRuns: 300 });
  });

  void it('are used only when built from the schemas on disk', () => {
    assert.equal(generatedValidators({ ...generatedModule, schemaDigest: 'other schemas' }), undefined);
    assert.equal(generatedValidators({}), undefined);
    assert.equal(generatedValidators(undefined), undefined);
  });
});
