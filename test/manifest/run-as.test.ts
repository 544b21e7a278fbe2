/**
 * `user:` in a file tend does not trust with every account: a positioned UserNotAllowed error
 * for each field naming another account, and the object is not built.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runAsProblems } from '../../src/manifest/run-as.ts';
import { validateManifestText } from '../../src/manifest/validate.ts';
import { envFiles, lines, processDoc } from './fixtures.ts';

// The owner is uid 1000, "alice"; every other name is another account.
const onlyAlice = (user: string): string | undefined => (user === 'alice' || user === '1000' ? undefined : `"${user}" is another account`);

function checkAs(text: string): ReturnType<typeof validateManifestText> {
  return validateManifestText(text, { file: 'm/web.yaml', dir: '/srv/m', uid: 1000, gid: 1000, readEnvFile: envFiles(), userCheck: onlyAlice });
}

void describe('runAsProblems', () => {
  void it('checks spec.user, recovery.fallback.user and a pool template\'s, numbers as strings', () => {
    const spec = { user: 1, recovery: { strategy: 'fallback', fallback: { command: ['x'], user: 'daemon' } } };
    assert.deepEqual(
      runAsProblems(spec, onlyAlice).map((p) => [p.code, p.path.join('.'), p.message]),
      [
        ['UserNotAllowed', 'spec.user', '"1" is another account'],
        ['UserNotAllowed', 'spec.recovery.fallback.user', '"daemon" is another account'],
      ],
    );
    const pool = { template: { command: ['x'], user: 'daemon', recovery: { strategy: 'fallback', fallback: { command: ['y'], user: 'root' } } } };
    assert.deepEqual(runAsProblems(pool, onlyAlice).map((p) => p.path.join('.')), ['spec.template.user', 'spec.template.recovery.fallback.user']);
    assert.deepEqual(runAsProblems({ user: 'alice' }, onlyAlice), []);
    assert.deepEqual(runAsProblems({ command: ['x'] }, onlyAlice), []);
  });
});

void describe('validateManifestText with a user check', () => {
  void it('points at the user field and builds no object', () => {
    const result = checkAs(processDoc('web', ['command: [x]', 'user: daemon']));
    assert.deepEqual(lines(result), ['m/web.yaml:7:5: spec.user: "daemon" is another account']);
    assert.equal(result.diagnostics[0]?.code, 'UserNotAllowed');
    assert.deepEqual(result.objects, []);
    assert.equal(result.ok, false);
  });

  void it('points at a pool template\'s user field', () => {
    const pool = ['apiVersion: tend/v1', 'kind: ProcessPool', 'metadata: {name: render}', 'spec:', '  template:', '    command: [x]', '    user: daemon', ''].join('\n');
    const result = checkAs(pool);
    assert.deepEqual(lines(result), ['m/web.yaml:7:5: spec.template.user: "daemon" is another account']);
    assert.deepEqual(result.objects, []);
  });

  void it("lets a file name its owner's own account", () => {
    const result = checkAs(processDoc('web', ['command: [x]', 'user: alice']));
    assert.deepEqual(lines(result), []);
    assert.equal(result.objects.length, 1);
  });

  void it('without a check (a root-owned file, or tend not root) any user is accepted', () => {
    const result = validateManifestText(processDoc('web', ['command: [x]', 'user: daemon']), { file: 'm/web.yaml', dir: '/srv/m', uid: 0, gid: 0, readEnvFile: envFiles() });
    assert.deepEqual(lines(result), []);
  });
});
