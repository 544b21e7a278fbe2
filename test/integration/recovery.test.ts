/**
 * Recovery strategies on real flapping programs:
 *  - fallback: the circuit opens, the fallback program runs in the slot (exactly one process
 *    carrying its marker, also across a controller SIGKILL and restart), it is stopped for the
 *    half-open trial and runs again when the trial fails, and stops for good once the trial
 *    closes the circuit; history and statistics as `describe` and `get -o json` print them;
 *  - replace: each restart gets a fresh instance id, and the logs of the failed ones remain.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { createWorld, exited, FIXTURES, itemOf, processManifest, waitFor, type World } from './harness.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

interface InstanceView {
  id: string;
  pid: number | null;
  phase: string;
  reason: string;
  fallback?: boolean;
}
interface Status {
  circuit?: { state: string; openedAt: string | null };
  failures: { instance: string; type: string; exitCode: number | null; stderrTail: string | null; recoveredAt: string | null }[];
  recovery: { failures: number; recoveries: number; recoveryRate: number | null; meanTimeToRecoverMs: number | null };
}
interface View {
  status: Status;
  instances: InstanceView[];
}

const viewOf = (w: World, key: string): View => itemOf(w.items(), key) as unknown as View;
const fallbackOf = (v: View): InstanceView | undefined => v.instances.find((i) => i.fallback === true);

// Live processes whose environment carries `marker` (the fallback's own env entry).
function pidsWith(w: World, marker: string): number[] {
  return w.markedPids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker);
    } catch {
      return false;
    }
  });
}

function fallbackWorld(cooldown: string): { w: World; flag: string; marker: string } {
  const w = (world = createWorld());
  const flag = join(w.root, 'broken');
  const marker = `FALLBACK_MARK=${w.root}`;
  writeFileSync(flag, '');
  w.write(
    'shop.yaml',
    processManifest(
      'shop',
      `command: ["sh", "-c", "test -f ${flag} && exit 1; exec sleep 1000"]`,
      'env: {ROLE: primary}',
      'backoff: {strategy: fixed, initialDelay: 50ms, jitter: 0, resetAfter: 1s}',
      `circuitBreaker: {maxFailures: 3, window: 1m, cooldown: ${cooldown}}`,
      `recovery: {strategy: fallback, fallback: {command: ["node", "${join(FIXTURES, 'sleep-forever.js')}"], env: {${marker.replace('=', ': "')}"}}}`,
    ),
  );
  return { w, flag, marker };
}

test('fallback: runs while open, makes way for the half-open trial, runs again when it fails, stops once closed', async () => {
  // The cooldown must outlast the checks below on a busy machine (each CLI call can take a second).
  const { w, flag, marker } = fallbackWorld('6s');
  await w.up();
  await waitFor('the fallback to run', () => fallbackOf(viewOf(w, 'process/shop'))?.pid != null);
  let view = viewOf(w, 'process/shop');
  assert.equal(view.status.circuit?.state, 'Open');
  assert.deepEqual(
    view.instances.map((i) => [i.id, i.phase, i.fallback === true]),
    [['shop-0', 'CircuitOpen', false], ['shop-0.fallback', 'Running', true]],
  );
  assert.match(w.tend('get').stdout, /process\/shop .*Degraded \(CircuitOpen\), fallback running/);
  assert.match(w.tend('describe', 'process/shop').stdout, /Circuit: +Open \(opened .*\); fallback running: shop-0\.fallback pid \d+/);
  const first = pidsWith(w, marker);
  assert.deepEqual(first, [fallbackOf(view)?.pid], 'exactly one fallback process');
  const environ = readFileSync(`/proc/${first[0]}/environ`, 'latin1').split('\0');
  assert.ok(environ.includes('ROLE=primary') && environ.includes('TEND_INSTANCE=shop-0.fallback'), 'inherits the instance env');
  await waitFor('the fallback to make way for the trial, and come back when it fails', () => {
    const pids = pidsWith(w, marker);
    return pids.length === 1 && pids[0] !== first[0];
  }, 30_000);
  assert.equal(viewOf(w, 'process/shop').status.circuit?.state, 'Open', 'the failed trial opened it again');
  rmSync(flag);
  await waitFor('the circuit to close', () => viewOf(w, 'process/shop').status.circuit?.state === 'Closed', 30_000);
  await waitFor('the fallback to be gone', () => pidsWith(w, marker).length === 0 && fallbackOf(viewOf(w, 'process/shop')) === undefined);
  view = viewOf(w, 'process/shop');
  assert.equal(view.instances.length, 1);
  assert.notEqual(view.instances[0]?.pid, null, 'the primary runs');
  assert.equal(view.status.failures.length, 4, 'three failures opened it, the failed trial is the fourth');
  assert.ok(view.status.failures.every((f) => f.type === 'Crash' && f.exitCode === 1 && f.instance === 'shop-0'));
  assert.equal(view.status.recovery.failures, 4);
  assert.ok(view.status.recovery.recoveries >= 1 && view.status.failures.at(-1)?.recoveredAt, 'the closing trial recovered the last failure');
  const described = w.tend('describe', 'process/shop');
  assert.match(described.stdout, /Failures: +4, recovered \d+/);
  const events = w.tend('events', '-o', 'json').stdout;
  for (const reason of ['CircuitOpened', 'CircuitHalfOpen', 'CircuitClosed']) assert.match(events, new RegExp(`"reason":"${reason}"`));
});

test('fallback: a controller killed while the circuit is open comes back to the same single fallback', async () => {
  const { w, marker } = fallbackWorld('10m');
  const controller = await w.up();
  await waitFor('the fallback to run', () => pidsWith(w, marker).length === 1);
  const [pid] = pidsWith(w, marker);
  controller.kill('SIGKILL');
  await exited(controller);
  await w.up();
  assert.equal(w.tend('reconcile', '--once').code, 0, 'a pass of the new controller has run');
  const view = viewOf(w, 'process/shop');
  assert.equal(view.status.circuit?.state, 'Open', 'still open');
  assert.equal(fallbackOf(view)?.pid, pid, 'the same fallback, adopted');
  assert.deepEqual(pidsWith(w, marker), [pid], 'exactly once: no second fallback started');
  assert.equal(w.markedPids().length, 1, 'and no primary restarted');
});

test('replace: every restart gets a fresh instance id and the failed instances keep their logs', async () => {
  const w = (world = createWorld());
  w.write(
    'flaky.yaml',
    processManifest(
      'flaky',
      'command: ["sh", "-c", "echo run $TEND_INSTANCE; echo oops $TEND_INSTANCE >&2; exit 2"]',
      'backoff: {strategy: fixed, initialDelay: 100ms, jitter: 0}',
      'recovery: {strategy: replace}',
    ),
  );
  await w.up();
  await waitFor('the second replacement', () => viewOf(w, 'process/flaky').status.failures.some((f) => f.instance === 'flaky-0.2'));
  const { failures } = viewOf(w, 'process/flaky').status;
  assert.deepEqual(failures.slice(0, 3).map((f) => f.instance), ['flaky-0', 'flaky-0.1', 'flaky-0.2']);
  assert.equal(failures[0]?.stderrTail, 'oops flaky-0');
  assert.equal(failures[1]?.stderrTail, 'oops flaky-0.1');
  assert.ok(failures[0]?.recoveredAt && failures[1]?.recoveredAt, 'each replacement recovered the failure before it');
  const original = w.tend('logs', 'flaky-0.1', '--stream', 'stdout');
  assert.equal(original.code, 0);
  assert.equal(original.stdout.trim(), 'run flaky-0.1', 'the failed instance logs under its own id');
  const all = w.tend('logs', 'flaky', '--stream', 'stdout').stdout;
  assert.match(all, /run flaky-0$/m, 'the object shows every instance that ran');
  assert.match(all, /run flaky-0\.1$/m);
  assert.match(viewOf(w, 'process/flaky').instances[0]?.id ?? '', /^flaky-0\.\d+$/);
});
