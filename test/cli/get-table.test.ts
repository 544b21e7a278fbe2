/**
 * `tend get`'s table is drawn from the one-line summaries (`?view=summary`): the same columns the
 * full views gave (ready count, status with a running fallback, restarts, age of the oldest live
 * instance, the live pids, summed usage, BUSY for pools), without every instance's view.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderSummaries } from '../../src/cli/commands/get.ts';
import { buildSummaries } from '../../src/controller/status-summary.ts';
import type { StatusInput } from '../../src/controller/status.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import { exited, NOW, processObject, running } from '../planner/fixtures.ts';

const web = processObject('web', { replicas: 3 });
const input: StatusInput = {
  desired: { objects: new Map([[web.key, web]]), revision: 'abcdef123456' },
  observed: new Map<string, ObservedInstance[]>([
    [web.key, [running(0, { startedAt: NOW - 90_000, pid: 301 }), running(1, { startedAt: NOW - 5_000, pid: 302 }), exited(2)]],
    ['process/gone', [running(0, { object: 'process/gone', id: 'gone-0', pid: 777, fallback: true }, 'gone')]],
  ]),
  history: new Map([[web.key, { generation: 1, contentHash: 'c', slots: { 0: { restarts: 2, backoffAttempt: 0 }, 2: { restarts: 1, backoffAttempt: 0 } } }]]),
  plan: [],
  now: NOW,
  usage: (i) => (i.pid === 301 ? { cpu: 1.25, memory: 2 * 1024 * 1024, fds: 1, threads: 1, sockets: 0 } : undefined),
};

test('one row per object from its summary: pids, restarts, age, usage, a running fallback', () => {
  const lines = renderSummaries(buildSummaries(input), NOW).trimEnd().split('\n');
  assert.deepEqual(lines[0]?.split(/\s+/), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'PID', 'CPU', 'MEM', 'REVISION']);
  const gone = lines.find((l) => l.startsWith('process/gone'));
  assert.match(gone ?? '', /fallback running/);
  assert.match(gone ?? '', /\b777\b/);
  const row = lines.find((l) => l.startsWith('process/web'))?.split(/\s{2,}/);
  assert.deepEqual([row?.[3], row?.[4], row?.[5], row?.[6], row?.[8]], ['3', '90s', '301,302', '1.3%', 'abcdef12']);
  assert.match(row?.[7] ?? '', /^2(\.0)? ?Mi/);
});
