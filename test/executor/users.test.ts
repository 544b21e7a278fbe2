import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupUser } from '../../src/executor/local/users.ts';
import { runAs } from '../../src/executor/local/spawn-instance.ts';

void describe('lookupUser', () => {
  void it('says the passwd file could not be read rather than that the user is unknown', () => {
    assert.throws(() => lookupUser('daemon', '/nonexistent/passwd'), /cannot read \/nonexistent\/passwd to look up user "daemon": ENOENT/);
  });
  void it('finds a user of the real passwd file', () => {
    assert.equal(lookupUser('root')?.uid, 0);
    assert.equal(lookupUser('no-such-user-here'), undefined);
  });
});

void describe('runAs', () => {
  void it('turns an unknown user into a message', () => {
    const spec = { command: ['x'], shell: false, workingDir: '/', env: {}, secretEnv: [], user: 'no-such-user-here', owner: { uid: 0, gid: 0 } };
    assert.deepEqual(runAs(spec), { message: 'user "no-such-user-here" not found in /etc/passwd' });
  });
});
