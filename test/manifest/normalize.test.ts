import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { parseCpu, parseDuration, parseQuantity, PROCESS_DEFAULTS } from '../../src/manifest/normalize.ts';
import { PROBE_DEFAULTS } from '../../src/manifest/normalize-probes.ts';
import type { ManifestObject, ProcessSpec } from '../../src/model/object.ts';
import { check, DIR, lines, processDoc } from './fixtures.ts';

const one = (result: { readonly objects: readonly ManifestObject[] }): ManifestObject => {
  const [object] = result.objects;
  assert.ok(object, 'expected one object');
  return object;
};
const specOf = (specLines: readonly string[], env: Readonly<Record<string, string>> = {}): ProcessSpec => {
  const result = check(processDoc('web', specLines), { env });
  assert.deepEqual(lines(result), []);
  return one(result).spec as ProcessSpec;
};

void describe('parsers', () => {
  void it('parses durations to milliseconds', () => {
    const table: [string | number, number | undefined][] = [
      ['500ms', 500], ['10s', 10_000], ['5m', 300_000], ['1h', 3_600_000], ['1h30m', 5_400_000],
      ['1.5s', 1_500], ['2m30s', 150_000], ['0', 0], [0, 0], ['0s', 0],
      ['10', undefined], [10, undefined], ['1d', undefined], ['', undefined], ['5 m', undefined], ['-1s', undefined], ['s', undefined],
    ];
    for (const [input, expected] of table) assert.equal(parseDuration(input), expected, JSON.stringify(input));
  });

  void it('parses memory quantities to bytes', () => {
    const table: [string | number, number | undefined][] = [
      ['256Mi', 256 * 1024 ** 2], ['1Gi', 1024 ** 3], ['500M', 500_000_000], ['1k', 1000], ['2Ki', 2048],
      ['1.5Gi', 1.5 * 1024 ** 3], ['1048576', 1_048_576], [1024, 1024], ['0.5Ki', 512], ['1Ti', 1024 ** 4], ['1E', 1e18],
      ['10MB', undefined], ['1K', undefined], ['-1', undefined], [-1, undefined], [1.5, undefined], ['Mi', undefined],
    ];
    for (const [input, expected] of table) assert.equal(parseQuantity(input), expected, JSON.stringify(input));
  });

  void it('parses CPU to cores', () => {
    const table: [string | number, number | undefined][] = [
      [0.5, 0.5], [2, 2], ['500m', 0.5], ['1500m', 1.5], ['0.25', 0.25], ['2', 2], ['0', 0],
      ['half', undefined], ['500 m', undefined], [-1, undefined], ['1.5m', undefined],
    ];
    for (const [input, expected] of table) assert.equal(parseCpu(input), expected, JSON.stringify(input));
  });
});

void describe('normalizeProcessSpec', () => {
  void it('puts the start hooks in lifecycle and the stop hooks in stop, with timeouts in ms', () => {
    const spec = specOf([
      'command: ["node", "server.js"]',
      'stop: {gracePeriod: 5s}',
      'lifecycle:',
      '  preStart: {exec: ["./migrate.sh"], timeout: 1m}',
      '  postStart: {exec: ["./warm.sh"]}',
      '  preStop: {exec: ["./drain.sh"], timeout: 2s}',
      '  postStop: {exec: ["./cleanup.sh"]}',
    ]);
    assert.deepEqual(spec.lifecycle, {
      preStart: { command: ['./migrate.sh'], timeoutMs: 60_000 },
      postStart: { command: ['./warm.sh'], timeoutMs: PROCESS_DEFAULTS.hookTimeoutMs },
    });
    assert.deepEqual(spec.stop, {
      signal: 'SIGTERM',
      gracePeriodMs: 5_000,
      preStop: { command: ['./drain.sh'], timeoutMs: 2_000 },
      postStop: { command: ['./cleanup.sh'], timeoutMs: 30_000 },
    });
  });

  void it('fills in every default', () => {
    const spec = specOf(['command: ["node", "server.js"]']);
    assert.deepEqual(spec, {
      command: ['node', 'server.js'],
      shell: false,
      workingDir: DIR,
      env: {},
      secretEnv: [],
      replicas: 1,
      restartPolicy: 'Always',
      backoff: { strategy: 'exponential', initialDelayMs: 1_000, maxDelayMs: 300_000, multiplier: 2, jitter: 0.1, resetAfterMs: 600_000 },
      maxRestarts: 0,
      stop: { signal: 'SIGTERM', gracePeriodMs: 10_000 },
      lifecycle: {},
      logs: { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5 },
      startupTimeoutMs: 0,
      probes: {},
      updateStrategy: { type: 'RollingUpdate', maxUnavailable: 1, maxSurge: 0 },
      dependsOn: [],
      priority: 20,
      raw: { command: ['node', 'server.js'] },
      owner: { uid: 1000, gid: 1000 },
    });
  });

  void it('uses the same defaults as the schema records', () => {
    const load = createRequire(import.meta.url);
    const schema = load('../../schemas/process.schema.json') as {
      properties: Record<string, { default?: unknown }>;
      definitions: Record<string, { default?: unknown }>;
    };
    const defs = schema.definitions;
    const d = PROCESS_DEFAULTS;
    assert.equal(schema.properties.replicas?.default, d.replicas);
    assert.equal(schema.properties.maxRestarts?.default, d.maxRestarts);
    assert.equal(defs.restartPolicy?.default, d.restartPolicy);
    assert.equal(defs.priority?.default, d.priority);
    assert.equal(parseDuration(defs.startupTimeout?.default as string), d.startupTimeoutMs);
    assert.deepEqual(defs.backoff?.default, { strategy: 'exponential', initialDelay: '1s', maxDelay: '5m', multiplier: 2, jitter: 0.1, resetAfter: '10m' });
    assert.deepEqual(defs.stop?.default, { signal: d.stop.signal, gracePeriod: '10s' });
    assert.deepEqual(defs.logs?.default, { maxSize: '10Mi', maxFiles: d.logs.maxFiles });
    assert.deepEqual(defs.updateStrategy?.default, d.updateStrategy);
    const resources = defs.resources as unknown as { properties: { onExceed: { default: string }; enforce: { default: string } } };
    assert.equal(resources.properties.enforce.default, d.enforce);
    const alerts = defs.alerts as unknown as { properties: { warnAt: { default: number } } };
    assert.equal(resources.properties.onExceed.default, d.onExceed);
    assert.equal(alerts.properties.warnAt.default, d.warnAt);
    const backoff = defs.backoff?.default as unknown as Record<string, string | undefined>;
    assert.equal(parseDuration(backoff.initialDelay ?? ''), d.backoff.initialDelayMs);
    assert.equal(parseDuration(backoff.maxDelay ?? ''), d.backoff.maxDelayMs);
    assert.equal(parseDuration(backoff.resetAfter ?? ''), d.backoff.resetAfterMs);
    assert.equal(parseQuantity('10Mi'), d.logs.maxSizeBytes);
  });

  void it('normalises resource limits with onExceed and warnAt; none without limits', () => {
    const spec = specOf(['command: [x]', 'resources: {limits: {memory: 256Mi, cpu: 500m, fds: 64, threads: 8, diskWrite: 1Mi}, onExceed: kill, enforce: monitor}', 'alerts: {warnAt: 0.5}']);
    assert.deepEqual(spec.resources, { limits: { memory: 256 * 1024 ** 2, cpu: 0.5, fds: 64, threads: 8, diskWrite: 1024 ** 2 }, onExceed: 'kill', warnAt: 0.5, enforce: 'monitor' });
    const d = PROCESS_DEFAULTS;
    assert.deepEqual(specOf(['command: [x]', 'resources: {limits: {fds: 10}}']).resources, { limits: { fds: 10 }, onExceed: d.onExceed, warnAt: d.warnAt, enforce: d.enforce });
    assert.equal(specOf(['command: [x]', 'alerts: {warnAt: 0.5}']).resources, undefined);
  });

  void it('converts durations, sizes, priorities and dependencies', () => {
    const spec = specOf([
      'command: [x]',
      'workingDir: ./apps/web',
      'backoff: {strategy: linear, initialDelay: 500ms, maxDelay: 1h30m}',
      'stop: {signal: SIGINT, gracePeriod: 2s}',
      'logs: {maxSize: 1Gi}',
      'startupTimeout: 30s',
      'priority: critical',
      'dependsOn: [{name: db, condition: ready}, {name: migrate, kind: Job, condition: completed}, {name: cache}]',
    ]);
    assert.equal(spec.workingDir, `${DIR}/apps/web`);
    assert.deepEqual([spec.backoff.strategy, spec.backoff.initialDelayMs, spec.backoff.maxDelayMs], ['linear', 500, 5_400_000]);
    assert.deepEqual(spec.stop, { signal: 'SIGINT', gracePeriodMs: 2_000 });
    assert.equal(spec.logs.maxSizeBytes, 1024 ** 3);
    assert.equal(spec.startupTimeoutMs, 30_000);
    assert.equal(spec.priority, 40);
    assert.deepEqual(spec.dependsOn, [
      { key: 'process/db', condition: 'ready' },
      { key: 'job/migrate', condition: 'completed' },
      { key: 'process/cache', condition: 'started' },
    ]);
    const priorities = ['high', 'normal', 'low', 'background', '-5', '100'].map((p) => specOf(['command: [x]', `priority: ${p}`]).priority);
    assert.deepEqual(priorities, [30, 20, 10, 0, -5, 100]);
  });

  void it('resolves an absolute workingDir as given', () => {
    assert.equal(specOf(['command: [x]', 'workingDir: /opt/app']).workingDir, '/opt/app');
  });

  void it('turns env values into strings and collects secret names', () => {
    const spec = specOf(['command: [x]', 'env: {PORT: 8080, DEBUG: false, NAME: web, TOKEN: {value: s3cr3t, secret: true}, PLAIN: {value: 1}}']);
    assert.deepEqual(spec.env, { PORT: '8080', DEBUG: 'false', NAME: 'web', TOKEN: 's3cr3t', PLAIN: '1' });
    assert.deepEqual(spec.secretEnv, ['TOKEN']);
  });

  void it('merges envFrom files under env, later files over earlier ones, all their names secret', () => {
    const env = {
      [`${DIR}/.env`]: '# database\nDB_URL=postgres://db\nexport API_KEY="k\\"1"\nMODE=file\nEMPTY=\n',
      [`${DIR}/conf/extra.env`]: "MODE=extra # trailing comment\nQUOTED='a # not a comment'\n",
    };
    const spec = specOf(['command: [x]', 'envFrom: [{file: .env}, {file: conf/extra.env}, {file: gone.env, optional: true}]', 'env: {MODE: manifest, PORT: 1}'], env);
    assert.deepEqual(spec.env, { DB_URL: 'postgres://db', API_KEY: 'k"1', MODE: 'manifest', EMPTY: '', QUOTED: 'a # not a comment', PORT: '1' });
    assert.deepEqual(spec.secretEnv, ['API_KEY', 'DB_URL', 'EMPTY', 'MODE', 'QUOTED']);
  });

  void it('reports an unreadable or malformed envFrom file at its entry', () => {
    const missing = check(processDoc('web', ['command: [x]', 'envFrom: [{file: .env}]']));
    assert.deepEqual(lines(missing), ['manifests/web.yaml:7:16: spec.envFrom[0].file: cannot read .env: no such file']);
    assert.equal(missing.diagnostics[0]?.code, 'EnvFileUnreadable');
    assert.equal(missing.ok, false);
    const malformed = check(processDoc('web', ['command: [x]', 'envFrom:', '  - file: .env']), { env: { [`${DIR}/.env`]: 'A=1\nnot a pair\n' } });
    assert.deepEqual(lines(malformed), ['manifests/web.yaml:8:9: spec.envFrom[0].file: .env:2: expected NAME=value']);
  });

  void it('refuses a rolling update that can never progress', () => {
    const result = check(processDoc('web', ['command: [x]', 'updateStrategy: {maxUnavailable: 0}']));
    assert.equal(result.ok, false);
    assert.equal(result.diagnostics[0]?.path, 'spec.updateStrategy.maxUnavailable');
    assert.equal(specOf(['command: [x]', 'updateStrategy: {maxUnavailable: 0, maxSurge: 1}']).updateStrategy.maxSurge, 1);
  });
});

void describe('hashes', () => {
  const object = (specLines: readonly string[], labels = '{app: shop}'): ManifestObject =>
    one(check(processDoc('web', specLines).replace('metadata:\n', `metadata:\n    labels: ${labels}\n`)));
  const base = object(['command: [node, a.js]', 'replicas: 1']);

  void it('changes specHash only for what affects the running program', () => {
    const program = [
      ['command: [node, b.js]', 'replicas: 1'],
      ['command: [node, a.js]', 'replicas: 1', 'env: {A: 1}'],
      ['command: [node, a.js]', 'replicas: 1', 'workingDir: sub'],
      ['command: [node, a.js]', 'replicas: 1', 'user: nobody'],
      ['command: [node, a.js]', 'replicas: 1', 'resources: {limits: {memory: 1Gi}}'],
    ];
    for (const lines of program) assert.notEqual(object(lines).specHash, base.specHash, lines.join(', '));
    const notProgram = [
      ['command: [node, a.js]', 'replicas: 3'],
      ['command: [node, a.js]', 'replicas: 1', 'alerts: {warnAt: 0.5}'],
      ['command: [node, a.js]', 'replicas: 1', 'resources: {requests: {cpu: 1}}'],
    ];
    for (const lines of notProgram) assert.equal(object(lines).specHash, base.specHash, lines.join(', '));
    assert.equal(object(['command: [node, a.js]', 'replicas: 1'], '{app: other}').specHash, base.specHash);
  });

  void it('hashes limits by value, not by spelling', () => {
    const a = object(['command: [x]', 'resources: {limits: {memory: 1Gi, cpu: 500m}}']);
    const b = object(['command: [x]', 'resources: {limits: {memory: 1024Mi, cpu: 0.5}}']);
    assert.equal(a.specHash, b.specHash);
  });

  void it('changes contentHash for any change of labels or spec', () => {
    assert.notEqual(object(['command: [node, a.js]', 'replicas: 3']).contentHash, base.contentHash);
    assert.notEqual(object(['command: [node, a.js]', 'replicas: 1'], '{app: other}').contentHash, base.contentHash);
    assert.equal(object(['replicas: 1', 'command: [node, a.js]']).contentHash, base.contentHash);
  });

  void it('normalises probes with the schema defaults', () => {
    const spec = specOf([
      'command: [x]',
      'probes:',
      '  startup: {exec: [./check.sh, --quick], period: 1s, failureThreshold: 30}',
      '  liveness: {http: {url: "http://127.0.0.1:8080/healthz"}, timeout: 2s}',
      '  readiness: {tcp: {port: 8080}, initialDelay: 500ms, successThreshold: 2}',
    ]);
    const d = { initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1_000, successThreshold: 1, failureThreshold: 3 };
    assert.deepEqual(spec.probes, {
      startup: { ...d, check: { type: 'exec', command: ['./check.sh', '--quick'] }, periodMs: 1_000, failureThreshold: 30 },
      liveness: { ...d, check: { type: 'http', url: 'http://127.0.0.1:8080/healthz', headers: {} }, timeoutMs: 2_000 },
      readiness: { ...d, check: { type: 'tcp', host: '127.0.0.1', port: 8080 }, initialDelayMs: 500, successThreshold: 2 },
    });
    const load = createRequire(import.meta.url);
    const schema = load('../../schemas/process.schema.json') as { definitions: Record<string, { properties: Record<string, { default?: unknown; properties?: Record<string, { default?: unknown }> }> }> };
    const probe = schema.definitions.probe?.properties ?? {};
    assert.equal(parseDuration(probe.initialDelay?.default as string), PROBE_DEFAULTS.initialDelayMs);
    assert.equal(parseDuration(probe.period?.default as string), PROBE_DEFAULTS.periodMs);
    assert.equal(parseDuration(probe.timeout?.default as string), PROBE_DEFAULTS.timeoutMs);
    assert.equal(probe.successThreshold?.default, PROBE_DEFAULTS.successThreshold);
    assert.equal(probe.failureThreshold?.default, PROBE_DEFAULTS.failureThreshold);
    assert.equal(probe.tcp?.properties?.host?.default, PROBE_DEFAULTS.tcpHost);
  });
});
