/** PM2 ecosystem files: literal reading of .js, the semantic mapping of restart settings, and accounting for every field. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importPm2 } from '../../src/import/pm2.ts';
import { jsTree } from '../../src/import/js-tree.ts';
import { yamlTree } from '../../src/import/yaml-tree.ts';
import { ImportError } from '../../src/import/errors.ts';
import { assertAccounted, assertValid, CONTEXT, fieldPaths, fixture, inline, specOf } from './helpers.ts';

const LEAVES = new Set(['env', 'env_production', 'args', 'deploy']);

test('every field of each PM2 fixture (.js, .json, .yaml) is mapped or reported, and the output validates', () => {
  for (const file of ['ecosystem.config.js', 'ecosystem.config.json', 'ecosystem.yaml']) {
    const source = fixture('pm2', file);
    const result = importPm2(source, CONTEXT);
    const tree = file.endsWith('.js') ? jsTree(source.text, file) : yamlTree(source.text, file);
    assertAccounted(result, file, fieldPaths(tree, '', LEAVES));
    assertValid(result, 'pm2');
  }
});

test('max_restarts within min_uptime becomes a circuit breaker; restart_delay a fixed backoff reset by min_uptime', () => {
  const result = importPm2(inline('e.json', '{"apps":[{"name":"api","script":"app.js","max_restarts":10,"min_uptime":"5s","restart_delay":250}]}'), CONTEXT);
  const spec = specOf(result, 'api');
  assert.deepEqual(spec.circuitBreaker, { maxFailures: 10, window: '52500ms', cooldown: '1h' });
  assert.deepEqual(spec.backoff, { strategy: 'fixed', initialDelay: '250ms', jitter: 0, resetAfter: '5s' });
  assert.equal(spec.maxRestarts, undefined);
  assert.deepEqual(spec.stop, { signal: 'SIGINT', gracePeriod: '1600ms' });
});

test('exp_backoff_restart_delay follows PM2 curve; stop_exit_codes [0] is OnFailure; autorestart false is Never', () => {
  const text = 'apps:\n  - {name: a, script: a.js, exp_backoff_restart_delay: 100, stop_exit_codes: [0]}\n  - {name: b, script: b.js, autorestart: false}\n';
  const result = importPm2(inline('e.yaml', text), CONTEXT);
  assert.deepEqual(specOf(result, 'a').backoff, { strategy: 'exponential', initialDelay: '100ms', maxDelay: '15s', multiplier: 1.5, jitter: 0, resetAfter: '30s' });
  assert.equal(specOf(result, 'a').restartPolicy, 'OnFailure');
  assert.equal(specOf(result, 'b').restartPolicy, 'Never');
});

test('the interpreter comes from interpreter, the extension, or none; args split like a shell', () => {
  const text = `module.exports = { apps: [
    { name: 'py', script: 'job.py', args: '--name "a b"' },
    { name: 'bin', script: 'server' },
    { name: 'own', script: 'x.js', interpreter: '/usr/bin/node20', node_args: ['--inspect'] },
    { name: 'none', script: './run', interpreter: 'none', args: ['-v'] },
  ] };`;
  const result = importPm2(inline('ecosystem.config.js', text), CONTEXT);
  assert.deepEqual(specOf(result, 'py').command, ['python', 'job.py', '--name', 'a b']);
  assert.deepEqual(specOf(result, 'bin').command, ['server']);
  assert.deepEqual(specOf(result, 'own').command, ['/usr/bin/node20', '--inspect', 'x.js']);
  assert.deepEqual(specOf(result, 'none').command, ['./run', '-v']);
});

test('--env picks env_<name> over env; the others are reported; instances max uses the cores', () => {
  const text = '{"apps":[{"name":"w","script":"w.js","instances":"max","env":{"A":"1","B":"2"},"env_production":{"B":"3"},"env_staging":{"B":"4"}}]}';
  const result = importPm2(inline('e.json', text), { ...CONTEXT, envName: 'production' });
  assert.deepEqual(specOf(result, 'w').env, { A: '1', B: '3' });
  assert.equal(specOf(result, 'w').replicas, 4);
  assert.deepEqual(result.drops.map((d) => d.field), ['apps[0].env_staging']);
});

test('a .js file is read, not run: spreads and constants of literals resolve, anything computed is reported with its line', () => {
  const text = [
    "const base = { PORT: 80 };",
    "module.exports = {",
    "  apps: [{",
    "    name: 'web', script: 'w.js',",
    "    env: { ...base, HOST: 'x' },",
    "    cwd: require('path').join(__dirname, 'web'),",
    "  }],",
    "};",
  ].join('\n');
  const result = importPm2(inline('ecosystem.config.js', text), CONTEXT);
  assert.deepEqual(specOf(result, 'web').env, { PORT: '80', HOST: 'x' });
  const cwd = result.drops.find((d) => d.field === 'apps[0].cwd');
  assert.equal(cwd?.line, 6);
  assert.match(cwd?.why ?? '', /computed at run time \(require\('path'\)\.join/);
});

test('a .js file without an export, or that does not parse, is an error with its place', () => {
  assert.throws(() => importPm2(inline('e.js', 'const apps = [];'), CONTEXT), (e: unknown) => e instanceof ImportError && e.line === 1 && /module\.exports/.test(e.message));
  assert.throws(() => importPm2(inline('e.js', 'module.exports = {\n  apps: [,\n'), CONTEXT), (e: unknown) => e instanceof ImportError && e.line === 3);
});
