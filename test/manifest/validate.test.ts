import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { validateManifestText } from '../../src/manifest/validate.ts';
import { check, envFiles, lines, processDoc } from './fixtures.ts';

void describe('schema errors', () => {
  void it('names the place, what was expected, what was found and the likely fix', () => {
    const result = check(processDoc('web', ['command: ["node", "server.js"]', 'restartPolicy: always']));
    assert.equal(result.ok, false);
    assert.deepEqual(lines(result), [
      'manifests/web.yaml:7:5: spec.restartPolicy: must be one of Always, OnFailure, Never, UnlessStopped (got "always"; did you mean "Always"?)',
    ]);
    assert.equal(result.diagnostics[0]?.code, 'ManifestInvalid');
  });

  void it('reports an unknown field at its key, with the closest known field', () => {
    const result = check(processDoc('web', ['comand: ["node", "server.js"]']));
    assert.deepEqual(
      result.diagnostics.map((d) => [d.code, d.line, d.col, d.path, d.message]),
      [
        ['ManifestInvalid', 5, 1, 'spec', 'missing required field "command"'],
        ['UnknownField', 6, 5, 'spec.comand', 'unknown field (did you mean "command"?)'],
      ],
    );
  });

  void it('lists the allowed fields of a small mapping when nothing is close', () => {
    const result = check(processDoc('web', ['command: [x]', 'stop: {zzz: 1}']));
    assert.deepEqual(lines(result), ['manifests/web.yaml:7:12: spec.stop.zzz: unknown field (allowed: signal, gracePeriod)']);
  });

  void it('refuses a string command without shell: true and says how to fix it', () => {
    const result = check(processDoc('web', ['command: node server.js']));
    assert.deepEqual(lines(result), [
      'manifests/web.yaml:6:5: spec.command: must be a list like ["node", "server.js"]; a string command line needs shell: true (got "node server.js")',
    ]);
  });

  void it('accepts a string command with shell: true', () => {
    const result = check(processDoc('web', ['command: "node server.js | tee out.log"', 'shell: true']));
    assert.deepEqual(lines(result), []);
    assert.deepEqual((result.objects[0]?.spec as { command: string[] }).command, ['node server.js | tee out.log']);
  });

  void it('points into flow collections and list items', () => {
    const result = check(processDoc('web', ['command: ["node", 5]', 'stop: {signal: TERM, gracePeriod: 30}']));
    assert.deepEqual(lines(result), [
      'manifests/web.yaml:6:23: spec.command[1]: must be a string (got 5)',
      'manifests/web.yaml:7:12: spec.stop.signal: must be one of SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGKILL (got "TERM"; did you mean "SIGTERM"?)',
      'manifests/web.yaml:7:26: spec.stop.gracePeriod: must be a duration like 500ms, 10s, 5m or 1h30m (got 30)',
    ]);
  });

  void it('reports every problem of a document (allErrors), sorted by place', () => {
    const result = check(processDoc('web', ['command: []', 'replicas: -1', 'priority: hgh', 'logs: {maxSize: 10MB}']));
    assert.deepEqual(lines(result), [
      'manifests/web.yaml:6:5: spec.command: must not be empty (got an empty list)',
      'manifests/web.yaml:7:5: spec.replicas: must be at least 0 (got -1)',
      'manifests/web.yaml:8:5: spec.priority: must be one of critical, high, normal, low, background (got "hgh"; did you mean "high"?)',
      'manifests/web.yaml:9:12: spec.logs.maxSize: must be a size like 256Mi, 1Gi, 500M or a plain number of bytes (got "10MB")',
    ]);
  });

  void it('folds anyOf branches into one message', () => {
    const result = check(processDoc('web', ['command: [x]', 'priority: 1.5', 'env: {A: [1], B: {value: x, secert: true}}']));
    assert.deepEqual(lines(result), [
      'manifests/web.yaml:7:5: spec.priority: must be one of critical, high, normal, low, background or an integer (got 1.5)',
      'manifests/web.yaml:8:11: spec.env.A: must be a string, number, boolean or {value, secret: true} (got a list)',
      'manifests/web.yaml:8:33: spec.env.B.secert: unknown field (did you mean "secret"?)',
    ]);
  });

  void it('requires exactly one probe handler', () => {
    const result = check(processDoc('web', ['command: [x]', 'probes:', '  liveness: {period: 1s}']));
    assert.deepEqual(lines(result), ['manifests/web.yaml:8:7: spec.probes.liveness: must have exactly one of exec, http or tcp (got a mapping)']);
  });

  void it('checks the envelope: apiVersion, kind and name', () => {
    const text = ['apiVersion: v1', 'kind: Proces', 'metadata: {name: Web_Server}', 'spec: {}', ''].join('\n');
    assert.deepEqual(
      check(text).diagnostics.map((d) => [d.code, d.line, d.col, d.message]),
      [
        ['ManifestInvalid', 1, 1, 'must be "tend/v1" (got "v1")'],
        ['ManifestInvalid', 2, 1, 'must be one of Process, ProcessPool, Job, Node (got "Proces"; did you mean "Process"?)'],
        [
          'InvalidName',
          3,
          12,
          'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters (got "Web_Server"; did you mean "web-server"?)',
        ],
      ],
    );
  });

  void it('reports a document that is not a mapping at its start', () => {
    assert.deepEqual(lines(check('# header\n- a\n- b\n')), ['manifests/web.yaml:2:1: must be a mapping (got a list)']);
  });

  void it('runs Jobs: no warning, and a normalised spec', () => {
    const text = ['apiVersion: tend/v1', 'kind: Job', 'metadata: {name: report}', 'spec: {command: [./report.sh], priority: low, resources: {requests: {cpu: 500m}}}', ''].join('\n');
    const result = check(text);
    assert.equal(result.ok, true);
    assert.deepEqual(lines(result), []);
    assert.equal(result.objects[0]?.key, 'job/report');
    const spec = result.objects[0]?.spec as Record<string, unknown>;
    assert.deepEqual([spec.completions, spec.backoffLimit, spec.preemptible, spec.requests], [1, 3, true, { cpu: 0.5 }]);
  });

  void it('validates pools and nodes against their own schemas', () => {
    const text = [
      'apiVersion: tend/v1',
      'kind: ProcessPool',
      'metadata: {name: render}',
      'spec:',
      '  template: {command: [python3, worker.py], replicas: 2}',
      '  minReplicas: 5',
      '  maxReplicas: 2',
      '---',
      'apiVersion: tend/v1',
      'kind: Node',
      'metadata: {name: local}',
      'spec: {capacity: {cpu: 8, memory: 16Gi, licenses: 3}, aging: {every: 1m, boost: 1}}',
      '',
    ].join('\n');
    assert.deepEqual(lines(check(text)), [
      'manifests/web.yaml:5:45: spec.template.replicas: unknown field',
    ]);
    const fixed = check(text.replace(', replicas: 2', ''));
    assert.deepEqual(lines(fixed), [
      'manifests/web.yaml:6:3: spec.minReplicas: must not exceed maxReplicas (got 5 > 2)',
    ]);
  });

  void it('warns about a custom resource that looks like a typo', () => {
    const result = check(processDoc('web', ['command: [x]', 'resources: {requests: {memroy: 1}}']));
    assert.equal(result.ok, true);
    assert.deepEqual(result.diagnostics.map((d) => [d.code, d.severity, d.path]), [['UnknownField', 'warning', 'spec.resources.requests.memroy']]);
  });
});

void describe('multi-document files', () => {
  void it('checks every document and keeps the valid ones', () => {
    const text = [processDoc('web'), '---', processDoc('api', ['command: 42']), '---', processDoc('db')].join('\n');
    const result = check(text);
    assert.equal(result.ok, false);
    assert.deepEqual(result.objects.map((o) => o.key), ['process/web', 'process/db']);
    assert.deepEqual(result.diagnostics.map((d) => [d.line, d.col, d.path]), [[14, 5, 'spec.command']]);
  });

  void it('treats a file of comments and separators as empty', () => {
    const result = check('# nothing here yet\n---\n---\n');
    assert.deepEqual({ ok: result.ok, empty: result.empty, objects: result.objects.length }, { ok: true, empty: true, objects: 0 });
  });
});

/**
 * Property: the per-file pipeline never throws, whatever the text; its result is internally
 * consistent (ok exactly when no error diagnostic; every diagnostic has a 1-based position).
 * Seeds are printed by fast-check on failure; rerun with `{ seed }` to reproduce.
 */
void describe('validateManifestText on arbitrary input', () => {
  const invariant = (text: string): void => {
    const result = validateManifestText(text, { file: 'f.yaml', dir: '/srv', uid: 0, gid: 0, readEnvFile: envFiles() });
    assert.equal(result.ok, !result.diagnostics.some((d) => d.severity === 'error'));
    for (const d of result.diagnostics) assert.ok(d.line >= 1 && d.col >= 1, `${d.line}:${d.col}`);
  };
  const fragments = fc.constantFrom(
    'apiVersion: tend/v1\n', 'kind: Process\n', 'kind: Job\n', 'metadata:\n', '  name: web\n', 'spec:\n', '  command: [a, b]\n',
    '  command: x\n', '  env: {A: 1}\n', '  replicas: 2\n', '---\n', '- ', ': ', '&a ', '*a ', '!tag ', '<<: *a\n', '{', '}', '[', ']', '"', "'", '\t', '  ', '\n', '#',
  );

  void it('never throws on random text', () => {
    fc.assert(fc.property(fc.fullUnicodeString({ maxLength: 200 }), (text) => invariant(text)), { numRuns: 300 });
  });

  void it('never throws on YAML-looking text', () => {
    fc.assert(fc.property(fc.array(fragments, { maxLength: 40 }), (parts) => invariant(parts.join(''))), { numRuns: 500 });
  });

  void it('never throws on arbitrary data written as YAML', () => {
    const doc = fc.record({
      apiVersion: fc.constantFrom('tend/v1', 'v1'),
      kind: fc.constantFrom('Process', 'Job', 'ProcessPool', 'Node', 'X'),
      metadata: fc.record({ name: fc.string({ maxLength: 8 }) }),
      spec: fc.dictionary(
        fc.constantFrom('command', 'shell', 'env', 'envFrom', 'probes', 'priority', 'dependsOn', 'resources', 'backoff', 'stop', 'template', 'capacity'),
        fc.anything({ maxDepth: 3 }),
      ),
    });
    fc.assert(fc.property(doc, (value) => invariant(stringify(value))), { numRuns: 300 });
  });
});
