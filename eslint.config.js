// Lint rules, including the folder boundaries of the house style:
// only executor/local spawns, only watch/ imports chokidar, only platform/ reads the clock,
// only monitor/proc-reader.ts reads /proc for the monitor.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const clockGlobals = ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval'].map(
  (name) => ({ name, message: 'Use the Clock from src/platform/clock.ts.' }),
);

export default tseslint.config(
  // bench/restart/: plain Node scripts the shared peer harness and perf run (no tsx there).
  { ignores: ['dist/', 'node_modules/', 'bin/', 'test/fixtures/', 'manifests/', 'eslint.config.js', 'bench/restart/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }],
      }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-restricted-exports': ['error', { restrictDefaultExports: { direct: true, named: true } }],
    },
  },
  {
    // The dashboard's page script runs in the browser, untyped.
    files: ['src/api/dashboard/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: 'script',
      parserOptions: { projectService: false, project: null },
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'history', 'sessionStorage', 'fetch', 'setTimeout', 'clearTimeout', 'setInterval', 'TextDecoderStream', 'uPlot', 'URL', 'URLSearchParams']
          .map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/executor/local/**', 'src/monitor/exec-probe.ts', 'src/platform/**', 'src/watch/**', 'src/cli/**', 'src/api/**', 'src/manifest/load.ts', 'src/monitor/proc-reader.ts', 'src/controller/state-file.ts', 'src/controller/lock.ts', 'src/controller/event-log.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'node:child_process', message: 'Only src/executor/local spawns processes.' },
          { name: 'chokidar', message: 'Only src/watch imports chokidar.' },
          { name: 'node:fs', message: 'File I/O lives in load.ts, the executor, the watcher and the CLI.' },
          { name: 'node:fs/promises', message: 'File I/O lives in load.ts, the executor, the watcher and the CLI.' },
        ],
      }],
    },
  },
  {
    files: ['src/model/**/*.ts', 'src/planner/**/*.ts', 'src/manifest/**/*.ts', 'src/controller/**/*.ts', 'src/scheduler/**/*.ts', 'src/render/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...clockGlobals],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'Use the Clock from src/platform/clock.ts.' }],
    },
  },
);
