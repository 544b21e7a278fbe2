/**
 * The spawn helper's words and files, pure parts: request frames, answer lines, run and exit
 * files, the cgroup folders an instance gets on each kind of host, and how an OOM kill in the
 * instance's memory cgroup is told.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shimEnd, signalNameOf } from '../../src/executor/local/adopt-runs.ts';
import { instanceOomEnd } from '../../src/executor/local/oom-exit.ts';
import { heldLimits, instanceCgroups, joinedMembership } from '../../src/executor/local/shim-cgroups.ts';
import { encodeShimRequest, encodeStandingOrder, parseExitFile, parseRunFile, parseShimAnswer, type ShimRequest } from '../../src/executor/local/shim-protocol.ts';

const REQUEST: ShimRequest = {
  id: 7,
  file: 'node',
  argv: ['node', 'a b.js'],
  env: { PATH: '/bin', X: 'a=b' },
  cwd: '/srv',
  uid: 33,
  gid: 34,
  stdout: '/s/logs/web-0.out.log',
  stderr: '/s/logs/web-0.err.log',
  nofile: 64,
  cgroups: [{ path: '/u/web-0.t1', membership: true, writes: [] }, { path: '/m/web-0.t1', membership: false, writes: [['memory.limit_in_bytes', '1024']] }],
  runDir: '/s/run',
  token: 'web-0.t1',
  meta: '{"object":"process/web"}',
};

void describe('spawn helper protocol', () => {
  void it('frames a request as a length and NUL-terminated tagged fields, cgroup writes after their folder', () => {
    const frame = encodeShimRequest(REQUEST);
    assert.equal(frame.readUInt32LE(0), frame.length - 4);
    const fields = frame.subarray(4).toString().split('\0');
    assert.equal(fields.pop(), '');
    assert.deepEqual(fields, [
      'i7', 'fnode', 'd/srv', 'x/s/run', 'tweb-0.t1', 'M{"object":"process/web"}', 'anode', 'aa b.js', 'ePATH=/bin', 'eX=a=b',
      'u33', 'g34', 'o/s/logs/web-0.out.log', 'r/s/logs/web-0.err.log', 'n64', 'm/u/web-0.t1', 'c/m/web-0.t1', 'wmemory.limit_in_bytes=1024',
    ]);
  });

  void it('leaves out what a request does not set', () => {
    const { uid: _uid, gid: _gid, stdout: _out, stderr: _err, nofile: _nofile, ...bare } = REQUEST;
    const fields = encodeShimRequest({ ...bare, cgroups: [] }).subarray(4).toString().split('\0');
    assert.deepEqual(fields.filter((f) => /^[ugorncmw]/.test(f)), []);
  });

  void it('parses ok and err answers and rejects anything else', () => {
    assert.deepEqual(parseShimAnswer('7 ok 120 3456 119 yn 1\n'), { id: 7, ok: true, pid: 120, startTicks: 3456, shimPid: 119, joined: [true, false], logs: true });
    assert.deepEqual(parseShimAnswer('8 ok 120 3456 119 - 0'), { id: 8, ok: true, pid: 120, startTicks: 3456, shimPid: 119, joined: [], logs: false });
    assert.deepEqual(parseShimAnswer('9 err chdir 2'), { id: 9, ok: false, stage: 'chdir', errno: 2 });
    for (const bad of ['', 'x ok 1 2 3 y 1', '7 ok 1 2 3 y 1', '7 ok 120 2', '7 maybe 1 2 3 y 1']) assert.equal(parseShimAnswer(bad), undefined, bad);
  });

  void it('parses exit files: an exit code, or a signal number', () => {
    assert.deepEqual(parseExitFile('code=0 signal=0 at=1700000000000 oom=0\n'), { code: 0, signal: null, at: 1700000000000, oomKills: 0 });
    assert.deepEqual(parseExitFile('code=-1 signal=9 at=1700000000001 oom=2\n'), { code: null, signal: 9, at: 1700000000001, oomKills: 2 });
    assert.deepEqual(parseExitFile('code=127 signal=0 at=5 oom=0 error=exec:13\n'), { code: 127, signal: null, at: 5, oomKills: 0, error: { stage: 'exec', errno: 13 } });
    for (const bad of ['', 'code=0 signal=0', 'code=0 signal=0 at=0 oom=0', 'code=x signal=0 at=5 oom=0']) assert.equal(parseExitFile(bad), undefined, bad);
  });

  void it('frames a standing order as the replacement request plus when it fires and whose it is', () => {
    const frame = encodeStandingOrder({ request: REQUEST, on: 'failure', controller: { pid: 4242, startTicks: 99 }, inherit: [] });
    assert.equal(frame.readUInt32LE(0), frame.length - 4);
    const fields = frame.subarray(4).toString().split('\0');
    assert.equal(fields.pop(), '');
    assert.deepEqual(fields.slice(0, 2), ['i7', 'fnode']);
    assert.deepEqual(fields.slice(-3), ['Of', 'P4242', 'T99']);
    assert.deepEqual(encodeStandingOrder({ request: REQUEST, on: 'any', controller: { pid: 1, startTicks: 2 }, inherit: [] }).subarray(4).toString().split('\0').slice(-4, -3), ['Oa']);
  });

  void it('writes a secret of a standing order by its name alone, never its value', () => {
    const secret = { ...REQUEST, env: { PATH: '/bin', TOKEN: 's3cret' } };
    const frame = encodeStandingOrder({ request: secret, on: 'any', controller: { pid: 1, startTicks: 2 }, inherit: ['TOKEN', 'UNSET'] });
    const fields = frame.subarray(4).toString().split('\0');
    assert.equal(frame.includes('s3cret'), false);
    assert.deepEqual(fields.filter((f) => f.startsWith('e') || f.startsWith('E')), ['ePATH=/bin', 'ETOKEN']);
  });

  void it('reads the replacement a standing order started from the exit file', () => {
    assert.equal(parseExitFile('code=-1 signal=9 at=5 oom=0 next=web-0.abc1\n')?.next, 'web-0.abc1');
    assert.equal(parseExitFile('code=-1 signal=9 at=5 oom=0\n')?.next, undefined);
  });

  void it('parses run files, with or without a cgroup', () => {
    assert.deepEqual(parseRunFile('pid 5\nticks 9\nshim 4\ncgroup /c/x\nmeta {"a":1}\n'), { pid: 5, startTicks: 9, shimPid: 4, cgroup: '/c/x', meta: '{"a":1}' });
    assert.equal(parseRunFile('pid 5\nticks 9\nshim 4\ncgroup \nmeta {}\n')?.cgroup, '');
    assert.equal(parseRunFile('pid 5\nticks 9\n'), undefined);
    assert.equal(parseRunFile('pid 1\nticks 9\nshim 4\ncgroup \nmeta {}\n'), undefined);
  });
});

void describe('instance cgroups through the helper', () => {
  void it('a hybrid v1 host: the unified membership folder plus one folder per limit controller', () => {
    const host = { version: 1, parents: { memory: '/m', pids: '/p' }, membership: '/u' } as const;
    const plan = instanceCgroups(host, 'web-0.t1', { memory: 1024, threads: 8, cpu: 1 });
    assert.deepEqual(plan.dirs.map((d) => [d.path, d.membership, d.writes.map(([file]) => file)]), [
      ['/u/web-0.t1', true, []],
      ['/m/web-0.t1', false, ['memory.limit_in_bytes', ...(plan.dirs[1]?.writes.length === 2 ? ['memory.memsw.limit_in_bytes'] : [])]],
      ['/p/web-0.t1', false, ['pids.max']],
    ]);
    assert.deepEqual(heldLimits(plan, [true, true, false]), ['memory']);
    assert.equal(joinedMembership(plan, [true, false, false]), '/u/web-0.t1');
    assert.equal(joinedMembership(plan, [false, true, true]), undefined);
  });

  void it('a v2 host: one folder holds the instance and its limits', () => {
    const host = { version: 2, parents: { memory: '/t', cpu: '/t' }, membership: '/t' } as const;
    const plan = instanceCgroups(host, 'a.1', { memory: 2048, cpu: 0.5 });
    assert.deepEqual(plan.dirs, [{ path: '/t/a.1', membership: true, writes: [['memory.max', '2048'], ['memory.swap.max', '0'], ['cpu.max', '50000 100000']] }]);
    assert.deepEqual(heldLimits(plan, [true]), ['memory', 'cpu']);
  });

  void it('no limits asked or no cgroups: the membership folder alone, or nothing', () => {
    assert.deepEqual(instanceCgroups({ version: 1, parents: { memory: '/m' }, membership: '/u' }, 'a.1', undefined).dirs.map((d) => d.path), ['/u/a.1']);
    assert.deepEqual(instanceCgroups(undefined, 'a.1', { memory: 1 }), { dirs: [], holds: [] });
  });
});

void describe('exits told by a shim', () => {
  void it('names signals and classifies an OOM kill in the instance as ResourceExhaustion', () => {
    assert.equal(signalNameOf(15), 'SIGTERM');
    assert.deepEqual(shimEnd({ code: 0, signal: null, at: 5, oomKills: 0 }, undefined), { code: 0, signal: null, reason: 'Exited' });
    assert.deepEqual(shimEnd({ code: null, signal: 9, at: 5, oomKills: 1 }, 64 * 1024 ** 2), {
      code: null, signal: 'SIGKILL', reason: 'ResourceExhaustion', message: 'killed by the kernel OOM killer (memory limit 64 MiB)',
    });
    assert.equal(shimEnd({ code: 137, signal: null, at: 5, oomKills: 1 }, undefined).message, 'a process of the instance was killed by the kernel OOM killer');
    assert.equal(instanceOomEnd('SIGKILL', 0, 1), undefined);
  });
});
