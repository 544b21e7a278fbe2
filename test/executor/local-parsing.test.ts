/** The local executor's pure parsers: /proc/<pid>/stat, /etc/passwd and the env marker. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildInstanceEnv, parseMarker, TEND_ENV } from '../../src/executor/local/instance-env.ts';
import { parseProcStat, ticksToEpochMs } from '../../src/executor/local/proc-stat.ts';
import { findUser } from '../../src/executor/local/users.ts';

const TAIL = '0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10 18446744073709551615';

void it('parses /proc/<pid>/stat after the last ")", whatever the command name holds', () => {
  assert.deepEqual(parseProcStat(`42 (node) S 7 42 42 ${TAIL}`), { state: 'S', ppid: 7, pgid: 42, startTicks: 123456 });
  assert.deepEqual(parseProcStat(`42 (a) b) (c d) Z 1 40 40 ${TAIL}`), { state: 'Z', ppid: 1, pgid: 40, startTicks: 123456 });
  assert.equal(parseProcStat('garbage'), undefined);
  assert.equal(parseProcStat('42 (x) S 1'), undefined);
  assert.equal(ticksToEpochMs(250, 1_000_000), 1_002_500);
});

void it('finds users by name or uid in passwd text', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www:/var/www:/usr/sbin/nologin\n';
  assert.deepEqual(findUser(passwd, 'www-data'), { name: 'www-data', uid: 33, gid: 33, home: '/var/www' });
  assert.deepEqual(findUser(passwd, '0'), { name: 'root', uid: 0, gid: 0, home: '/root' });
  assert.deepEqual(findUser(passwd, '1234'), { name: '1234', uid: 1234, gid: 1234, home: '/' });
  assert.equal(findUser(passwd, 'nobody'), undefined);
});

void it('writes a marker that reads back, and that the spec cannot forge', () => {
  const marker = { object: 'process/web', instance: 'web-1', replica: 1, specHash: 'abc', generation: 4 };
  const env = buildInstanceEnv({
    base: { PATH: '/bin' },
    spec: { [TEND_ENV.stateId]: 'forged', PORT: '80' },
    stateId: 'state-1',
    marker,
    user: undefined,
  });
  assert.equal(env.TEND_NAME, 'web');
  assert.equal(env.TEND_STATE_ID, 'state-1');
  const environ = Buffer.from(`${Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\0')}\0`);
  assert.deepEqual(parseMarker(environ, 'state-1'), marker);
  assert.equal(parseMarker(environ, 'state-2'), undefined);
  assert.equal(parseMarker(Buffer.from('XTEND_STATE_ID=state-1\0'), 'state-1'), undefined);
});

void it('marks a fallback instance so a scan after a lost state file knows it', () => {
  const marker = { object: 'process/web', instance: 'web-0.fallback', replica: 0, specHash: 'fb', generation: 2, fallback: true };
  const env = buildInstanceEnv({ base: {}, spec: { [TEND_ENV.fallback]: '0' }, stateId: 's', marker, user: undefined });
  assert.equal(env.TEND_FALLBACK, '1');
  const environ = Buffer.from(`${Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\0')}\0`);
  assert.deepEqual(parseMarker(environ, 's'), marker);
  const primary = buildInstanceEnv({ base: {}, spec: { [TEND_ENV.fallback]: '1' }, stateId: 's', marker: { ...marker, fallback: false }, user: undefined });
  assert.equal(primary.TEND_FALLBACK, '0', 'a manifest cannot forge it');
  assert.equal(parseMarker(Buffer.from(`${Object.entries(primary).map(([k, v]) => `${k}=${v}`).join('\0')}\0`), 's')?.fallback, undefined);
});
