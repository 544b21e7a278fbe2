/**
 * The failure history on real processes: a program that fails leaves failures with their type,
 * exit code and the last lines of its stderr; each restart marks one recovered; the history and
 * its statistics survive a controller restart.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createWorld, exited, itemOf, processManifest, waitFor, type World } from './harness.ts';

let world: World | undefined;
after(() => world?.cleanup());

interface FailureView {
  type: string;
  instance: string;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string | null;
  recoveredAt: string | null;
}
type Status = { failures: FailureView[]; recovery: { failures: number; recoveries: number; recoveryRate: number | null; meanTimeToRecoverMs: number | null } };

const statusOf = (w: World): Status => itemOf(w.items(), 'process/flaky').status as unknown as Status;

test('failures are recorded with type, exit code and stderr, recovered by restarts, and kept across a controller restart', async () => {
  const w = (world = createWorld());
  w.write('flaky.yaml', processManifest('flaky', 'command: ["sh", "-c", "echo starting; echo first >&2; echo boom >&2; exit 3"]', 'backoff: {strategy: fixed, initialDelay: 100ms, jitter: 0}'));
  const controller = await w.up();
  await waitFor('three failures', () => statusOf(w).failures.length >= 3);
  const { failures, recovery } = statusOf(w);
  const [first] = failures;
  assert.equal(first?.type, 'Crash');
  assert.equal(first?.instance, 'flaky-0');
  assert.equal(first?.exitCode, 3);
  assert.match(first?.stderrTail ?? '', /first\nboom$/);
  assert.ok(first?.recoveredAt, 'the restart after it recovered it');
  assert.ok(recovery.recoveries >= 2 && recovery.recoveries <= recovery.failures);
  assert.ok((recovery.meanTimeToRecoverMs ?? 0) >= 100, 'recovery waited for the backoff');
  const described = w.tend('describe', 'process/flaky');
  assert.match(described.stdout, /Failures: +\d+, recovered \d+/);
  assert.match(described.stdout, /flaky-0 +Crash +code 3/);
  controller.kill('SIGKILL');
  await exited(controller);
  const kept = statusOf(w).failures.length;
  assert.ok(kept >= 3, 'read back from the state file');
  await w.up();
  await waitFor('more failures on top of the kept ones', () => statusOf(w).failures.length > kept);
});
