/** Compose files: argv, restart, healthcheck, dependencies, interpolation, and accounting for every field. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importCompose } from '../../src/import/compose.ts';
import { interpolate } from '../../src/import/interpolate.ts';
import { yamlTree } from '../../src/import/yaml-tree.ts';
import { assertAccounted, assertValid, CONTEXT, fieldPaths, fixture, inline, specOf } from './helpers.ts';

const LEAVES = new Set(['environment', 'command', 'entrypoint', 'test', 'ports', 'volumes', 'env_file', 'image', 'build', 'dbdata']);

test('every field of the Compose fixture is mapped or reported, and the output validates', () => {
  const source = fixture('compose', 'compose.yaml');
  const result = importCompose(source, { ...CONTEXT, env: { LOG_LEVEL: '' } });
  assertAccounted(result, 'compose.yaml', fieldPaths(yamlTree(source.text, 'compose.yaml'), '', LEAVES));
  assertValid(result, 'compose');
  assert.deepEqual(result.objects.map((o) => o.name), ['cache', 'migrate', 'web', 'worker']);
});

test('service_healthy waits for ready with the healthcheck as readiness probe; CMD-SHELL runs through /bin/sh -c', () => {
  const text = `services:
  db:
    command: ["pg", "-D", "data"]
    healthcheck: {test: ["CMD-SHELL", "pg_isready -q"], interval: 5s, timeout: 1s, retries: 4}
  app:
    command: app --port 80
    depends_on: {db: {condition: service_healthy}}
`;
  const result = importCompose(inline('compose.yaml', text), CONTEXT);
  assert.deepEqual((specOf(result, 'db').probes as Record<string, unknown>).readiness, { exec: ['/bin/sh', '-c', 'pg_isready -q'], period: '5s', timeout: '1s', failureThreshold: 4 });
  assert.deepEqual(specOf(result, 'app').command, ['app', '--port', '80']);
  assert.deepEqual(specOf(result, 'app').dependsOn, [{ name: 'db', condition: 'ready' }]);
  assert.equal(specOf(result, 'app').restartPolicy, 'Never');
});

test('restart policies keep Docker\'s restart delay; on-failure:N is maxRestarts; deploy.restart_policy wins', () => {
  const text = `services:
  a: {command: a, restart: on-failure:3}
  b: {command: b, restart: always, deploy: {restart_policy: {condition: on-failure, delay: 2s, max_attempts: 2, window: 30s}}}
`;
  const result = importCompose(inline('compose.yaml', text), CONTEXT);
  assert.equal(specOf(result, 'a').restartPolicy, 'OnFailure');
  assert.equal(specOf(result, 'a').maxRestarts, 3);
  assert.deepEqual(specOf(result, 'a').backoff, { strategy: 'exponential', initialDelay: '100ms', maxDelay: '1m', multiplier: 2, jitter: 0, resetAfter: '10s' });
  assert.deepEqual(specOf(result, 'b').backoff, { strategy: 'fixed', initialDelay: '2s', jitter: 0, resetAfter: '30s' });
  assert.equal(specOf(result, 'b').maxRestarts, 2);
  assert.ok(result.drops.some((d) => d.field === 'services.b.restart'));
});

test('an image-only service is not imported, and its dependents are told so', () => {
  const text = 'services:\n  db: {image: postgres}\n  app: {command: app, depends_on: [db]}\n';
  const result = importCompose(inline('compose.yaml', text), CONTEXT);
  assert.deepEqual(result.objects.map((o) => o.name), ['app']);
  assert.ok(result.drops.some((d) => d.field === 'services.db' && d.line === 2));
  assert.ok(result.drops.some((d) => d.field === 'services.app.depends_on.db' && d.line === 3));
});

test('interpolation follows Compose: defaults, alternatives, $$ and unset variables', () => {
  const env = { SET: 'v', EMPTY: '' };
  assert.equal(interpolate('${SET} $SET ${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${SET:+alt} $$HOME ${UNSET}', env), 'v v d d  alt $HOME ');
});

test('service_completed_successfully on a service that restarts after every exit waits for it to be started, and says so', () => {
  const text = 'services:\n  job: {command: "true", restart: always}\n  app:\n    command: app\n    depends_on: {job: {condition: service_completed_successfully}}\n';
  const result = importCompose(inline('compose.yaml', text), CONTEXT);
  assert.deepEqual(specOf(result, 'app').dependsOn, [{ name: 'job', condition: 'started' }]);
  assert.deepEqual(result.drops.map((d) => `${d.line} ${d.field}`), ['5 services.app.depends_on.job']);
  assertValid(result, 'compose');
});
