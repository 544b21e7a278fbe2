/** The monitor's /proc parsers over text as the kernel writes it. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { countSockets, parseIo, parseStatUsage, parseUptimeMs } from '../../src/monitor/proc-parse.ts';
import { ioText, statLine } from './fake-proc.ts';

void it('reads state, group, CPU ticks, threads, start and RSS from /proc/PID/stat', () => {
  const text = statLine({ pid: 42, pgid: 40, state: 'R', utime: 120, stime: 30, threads: 7, start: 5000, rssPages: 2560 });
  assert.deepEqual(parseStatUsage(text), { state: 'R', pgid: 40, startTicks: 5000, cpuTicks: 150, threads: 7, rssPages: 2560 });
});

void it('reads a real-world stat line, and rejects broken ones', () => {
  const real = '23808 (node) R 23806 23806 3744 0 -1 4194304 10879 0 0 0 27 5 0 0 20 0 12 0 336546 33886269440 18526 18446744073709551615 11988992 39846385 0 0 0 0 16781312 17922 0 0 0 17 0 0 0 0 0 0\n';
  assert.deepEqual(parseStatUsage(real), { state: 'R', pgid: 23806, startTicks: 336546, cpuTicks: 32, threads: 12, rssPages: 18526 });
  assert.equal(parseStatUsage('garbage'), undefined);
  assert.equal(parseStatUsage('42 (x) S 1 42 42 0'), undefined);
  assert.equal(parseStatUsage('42 (x) S 1 -42 42 0 -1 4194304 10 0 0 0 1 1 0 0 20 0 1 0 9 9 9 9'), undefined);
});

void it('reads read_bytes and write_bytes from /proc/PID/io', () => {
  assert.deepEqual(parseIo(ioText(4096, 1_048_576)), { readBytes: 4096, writeBytes: 1_048_576 });
  assert.equal(parseIo('rchar: 1\n'), undefined);
});

void it('counts socket links among fd links', () => {
  assert.equal(countSockets(['/dev/null', 'socket:[123]', 'pipe:[9]', 'socket:[77]', 'anon_inode:[eventpoll]']), 2);
  assert.equal(countSockets([]), 0);
});

void it('reads /proc/uptime in ms', () => {
  assert.equal(parseUptimeMs('12345.67 20000.00\n'), 12_345_670);
  assert.equal(parseUptimeMs('nonsense'), undefined);
});
