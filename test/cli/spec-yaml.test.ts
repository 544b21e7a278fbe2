import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderSpec } from '../../src/cli/render/spec-yaml.ts';

void describe('renderSpec', () => {
  void it('prints the spec as written, values aligned, short collections on one line', () => {
    const lines = renderSpec({
      command: ['node', 'server.js'],
      replicas: 2,
      backoff: { initialDelay: '500ms', maxDelay: '1m' },
      env: { PORT: '8080', TOKEN: '(redacted)' },
      probes: { readiness: { http: { url: 'http://127.0.0.1:8080/healthz' }, period: '2s' }, liveness: { exec: ['./check.sh', '--deep', '--with-a-long-flag', '--and-another-one', '--to-pass-seventy'] } },
    });
    assert.deepEqual(lines, [
      '  command:  [node, server.js]',
      '  replicas: 2',
      '  backoff:  {initialDelay: 500ms, maxDelay: 1m}',
      '  env:      {PORT: "8080", TOKEN: "(redacted)"}',
      '  probes:',
      '    readiness: {http: {url: "http://127.0.0.1:8080/healthz"}, period: 2s}',
      '    liveness:',
      '      exec:',
      '        - ./check.sh',
      '        - --deep',
      '        - --with-a-long-flag',
      '        - --and-another-one',
      '        - --to-pass-seventy',
    ]);
  });

  void it('prints lists of maps as YAML items', () => {
    assert.deepEqual(renderSpec({ dependsOn: [{ name: 'db', condition: 'ready' }] }), ['  dependsOn: [{name: db, condition: ready}]']);
    const long = renderSpec({ dependsOn: [{ name: 'database-primary', kind: 'Process', condition: 'ready' }, { name: 'migrate', kind: 'Job', condition: 'completed' }] });
    assert.deepEqual(long, ['  dependsOn:', '    - {name: database-primary, kind: Process, condition: ready}', '    - {name: migrate, kind: Job, condition: completed}']);
  });
});
