/** process-compose files: shell commands, availability, probes, shutdown, and accounting for every field. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importProcessCompose } from '../../src/import/process-compose.ts';
import { yamlTree } from '../../src/import/yaml-tree.ts';
import { assertAccounted, assertValid, CONTEXT, fieldPaths, fixture, inline, specOf } from './helpers.ts';

test('every field of the process-compose fixture is mapped or reported, and the output validates', () => {
  const source = fixture('process-compose', 'process-compose.yaml');
  const result = importProcessCompose(source, CONTEXT);
  assertAccounted(result, 'process-compose.yaml', fieldPaths(yamlTree(source.text, 'f'), '', new Set(['environment'])));
  assertValid(result, 'process-compose');
  assert.equal(specOf(result, 'debug').replicas, 0);
});

test('commands run through the configured shell; availability, probes and shutdown map by meaning', () => {
  const text = `shell: {shell_command: zsh, shell_argument: -lc}
processes:
  api:
    command: "serve --port 9"
    availability: {restart: on_failure, backoff_seconds: 3, max_restarts: 4}
    readiness_probe: {http_get: {host: 127.0.0.1, port: 9, path: /ready}, period_seconds: 2, failure_threshold: 5}
    shutdown: {command: "drain", signal: 3, timeout_seconds: 7}
    depends_on: {db: {condition: process_healthy}, job: {condition: process_completed_successfully}}
  db: {command: db}
  job: {command: job}
`;
  const result = importProcessCompose(inline('process-compose.yaml', text), CONTEXT);
  const api = specOf(result, 'api');
  assert.deepEqual(api.command, ['zsh', '-lc', 'serve --port 9']);
  assert.equal(api.restartPolicy, 'OnFailure');
  assert.deepEqual(api.backoff, { strategy: 'fixed', initialDelay: '3s', jitter: 0 });
  assert.equal(api.maxRestarts, 4);
  assert.deepEqual(api.probes, { readiness: { http: { url: 'http://127.0.0.1:9/ready' }, period: '2s', failureThreshold: 5 } });
  assert.deepEqual(api.lifecycle, { preStop: { exec: ['zsh', '-lc', 'drain'], timeout: '7s' } });
  assert.deepEqual(api.stop, { signal: 'SIGQUIT', gracePeriod: '7s' });
  assert.deepEqual(api.dependsOn, [{ name: 'db', condition: 'ready' }, { name: 'job', condition: 'completed' }]);
  assert.equal(specOf(result, 'db').restartPolicy, 'Never');
});

test('process_completed_successfully on a process that always restarts waits for it to be started, and says so', () => {
  const text = 'processes:\n  job: {command: "true", availability: {restart: always}}\n  app:\n    command: app\n    depends_on: {job: {condition: process_completed_successfully}}\n';
  const result = importProcessCompose(inline('process-compose.yaml', text), CONTEXT);
  assert.deepEqual(specOf(result, 'app').dependsOn, [{ name: 'job', condition: 'started' }]);
  assert.deepEqual(result.drops.map((d) => `${d.line} ${d.field}`), ['5 processes.app.depends_on.job']);
  assertValid(result, 'process-compose');
});
