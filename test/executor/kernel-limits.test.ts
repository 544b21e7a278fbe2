/**
 * Kernel enforcement, pure parts: the rlimit wrapper's argv, which enforcement each limit gets,
 * `/proc/self/cgroup` parsing, the OOM count of a memory cgroup, and the OOM classification.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcCgroup } from '../../src/executor/local/cgroup-host.ts';
import { cgroupLimits, parseOomKills } from '../../src/executor/local/instance-cgroup.ts';
import { enforcementOf, rlimitArgv } from '../../src/executor/local/kernel-limits.ts';
import { oomEnd } from '../../src/executor/local/oom-exit.ts';

void describe('kernel limits', () => {
  void it('wraps argv in prlimit, or in sh ulimit without it; both exec the program', () => {
    const argv = { file: 'node', args: ['a.js', 'x y'] };
    assert.deepEqual(rlimitArgv(argv, 64, '/usr/bin/prlimit'), { file: '/usr/bin/prlimit', args: ['--nofile=64:64', '--', 'node', 'a.js', 'x y'] });
    assert.deepEqual(rlimitArgv(argv, 64, undefined), { file: '/bin/sh', args: ['-c', 'ulimit -n 64 && exec "$0" "$@"', 'node', 'a.js', 'x y'] });
  });

  void it('says how each limit is held', () => {
    const limits = { memory: 1, cpu: 1, fds: 8, threads: 4, diskWrite: 1 };
    assert.deepEqual(enforcementOf(limits, ['memory', 'threads'], true), { memory: 'cgroup', cpu: 'monitor', fds: 'rlimit', threads: 'cgroup', diskWrite: 'monitor' });
    assert.deepEqual(enforcementOf({ fds: 8 }, [], false), { fds: 'monitor' });
  });

  void it('a cgroup holds memory, cpu and threads where the host has the controller', () => {
    const host = { version: 1, parents: { memory: '/m', pids: '/p' } } as const;
    assert.deepEqual(cgroupLimits(host, { memory: 1, cpu: 1, threads: 2, fds: 3 }), [['memory', 'memory'], ['threads', 'pids']]);
    assert.deepEqual(cgroupLimits(undefined, { memory: 1 }), []);
  });

  void it('parses /proc/self/cgroup for v1 and v2', () => {
    const paths = parseProcCgroup('4:memory:/process_api/abc\n2:cpu,cpuacct:/\n0::/user.slice\n');
    assert.equal(paths.get('memory'), '/process_api/abc');
    assert.equal(paths.get('cpuacct'), '/');
    assert.equal(paths.get(''), '/user.slice');
  });

  void it('reads the oom_kill count of memory.oom_control (v1) and memory.events (v2)', () => {
    assert.equal(parseOomKills('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n'), 2);
    assert.equal(parseOomKills('low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n'), 1);
    assert.equal(parseOomKills(''), 0);
  });

  void it('an OOM kill is a SIGKILL with a counted oom_kill; any other SIGKILL is not', () => {
    assert.deepEqual(oomEnd('SIGKILL', 1, 64 * 1024 * 1024), { reason: 'ResourceExhaustion', message: 'killed by the kernel OOM killer (memory limit 64 MiB)' });
    assert.equal(oomEnd('SIGKILL', 0, 64 * 1024 * 1024), undefined);
    assert.equal(oomEnd('SIGTERM', 1, 64 * 1024 * 1024), undefined);
    assert.equal(oomEnd('SIGKILL', 1, undefined), undefined);
  });
});
