/**
 * `recovery` normalised: the default strategy, `replace`, and the fallback program built on the
 * instance's own (env inherited and overlaid, envFrom secrets, workingDir and user inherited
 * unless set), with a circuit breaker implied by strategy fallback.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessSpec } from '../../src/model/object.ts';
import { check, lines, processDoc } from './fixtures.ts';

const specOf = (specLines: readonly string[], env: Readonly<Record<string, string>> = {}): ProcessSpec => {
  const result = check(processDoc('web', specLines), { env });
  assert.deepEqual(lines(result), []);
  return result.objects[0]?.spec as ProcessSpec;
};

void describe('recovery', () => {
  void it('restart is the default and leaves no recovery field or breaker', () => {
    const spec = specOf(['command: [x]', 'recovery: {strategy: restart}']);
    assert.equal(spec.recovery, undefined);
    assert.equal(spec.circuitBreaker, undefined);
  });

  void it('replace is kept without a fallback', () => {
    assert.deepEqual(specOf(['command: [x]', 'recovery: {strategy: replace}']).recovery, { strategy: 'replace' });
  });

  void it('fallback overlays its env on the instance env and inherits workingDir and user', () => {
    const spec = specOf(
      [
        'command: [x]',
        'workingDir: ./app',
        'user: www',
        'env: {PORT: 8080, MODE: live}',
        'envFrom: [{file: .env}]',
        'recovery: {strategy: fallback, fallback: {command: "./maint.sh", shell: true, env: {MODE: maintenance}, envFrom: [{file: fb.env}]}}',
      ],
      { '/srv/manifests/.env': 'TOKEN=t1\n', '/srv/manifests/fb.env': 'FB_KEY=k\n' },
    );
    const { hash, ...fallback } = spec.recovery?.fallback ?? { hash: '' };
    assert.match(hash, /\S/);
    assert.deepEqual(fallback, {
      command: ['./maint.sh'],
      shell: true,
      workingDir: '/srv/manifests/app',
      env: { PORT: '8080', MODE: 'maintenance', TOKEN: 't1', FB_KEY: 'k' },
      secretEnv: ['FB_KEY', 'TOKEN'],
      user: 'www',
    });
    assert.deepEqual(spec.circuitBreaker, { maxFailures: 5, windowMs: 60_000, cooldownMs: 300_000 }, 'the default breaker is implied');
  });

  void it('a fallback workingDir is relative to the manifest; changing only the fallback keeps the program hash', () => {
    const doc = (cmd: string) => check(processDoc('web', ['command: [x]', 'circuitBreaker: {maxFailures: 2}', `recovery: {strategy: fallback, fallback: {command: [${cmd}], workingDir: ./maint}}`]));
    const [a, b] = [doc('a').objects[0], doc('b').objects[0]];
    assert.equal((a?.spec as ProcessSpec).recovery?.fallback?.workingDir, '/srv/manifests/maint');
    assert.equal((a?.spec as ProcessSpec).circuitBreaker?.maxFailures, 2);
    assert.equal(a?.specHash, b?.specHash, 'the primaries are not restarted for a fallback change');
    assert.notEqual(a?.contentHash, b?.contentHash);
    assert.notEqual((a?.spec as ProcessSpec).recovery?.fallback?.hash, (b?.spec as ProcessSpec).recovery?.fallback?.hash);
  });

  void it('strategy fallback without a fallback program is invalid', () => {
    assert.notDeepEqual(lines(check(processDoc('web', ['command: [x]', 'recovery: {strategy: fallback}']))), []);
  });
});
