/**
 * The circuit breaker on a real flapping program (it fails while a flag file exists): open
 * after maxFailures, no restarts while open (also across a controller SIGKILL and restart),
 * half-open after the cooldown, closed once the trial has run resetAfter.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createWorld, exited, itemOf, processManifest, waitFor, type World } from './harness.ts';

let world: World | undefined;
after(() => world?.cleanup());

type Circuit = { state: string; openedAt: string | null };
const circuitOf = (w: World): Circuit | undefined => (itemOf(w.items(), 'process/flappy').status as unknown as { circuit?: Circuit }).circuit;

test('open, kept open across a controller restart, half-open trial, closed', async () => {
  const w = (world = createWorld());
  const flag = join(w.root, 'broken');
  writeFileSync(flag, '');
  w.write(
    'flappy.yaml',
    processManifest(
      'flappy',
      `command: ["sh", "-c", "test -f ${flag} && exit 1; exec sleep 1000"]`,
      'backoff: {strategy: fixed, initialDelay: 50ms, jitter: 0, resetAfter: 1s}',
      'circuitBreaker: {maxFailures: 3, window: 1m, cooldown: 4s}',
    ),
  );
  const first = await w.up();
  await waitFor('the circuit to open', () => circuitOf(w)?.state === 'Open');
  const item = itemOf(w.items(), 'process/flappy');
  assert.equal(item.instances[0]?.phase, 'CircuitOpen');
  assert.equal(item.instances[0]?.pid, null);
  const failures = (item.status as unknown as { failures: unknown[] }).failures.length;
  assert.equal(failures, 3);
  first.kill('SIGKILL');
  await exited(first);
  await w.up();
  assert.equal(w.tend('reconcile', '--once').code, 0);
  assert.equal(circuitOf(w)?.state, 'Open', 'the open circuit survived the controller restart');
  assert.equal(w.markedPids().length, 0, 'nothing restarted while open');
  rmSync(flag);
  await waitFor('the trial to run', () => itemOf(w.items(), 'process/flappy').instances[0]?.pid != null, 20_000);
  await waitFor('the circuit to close', () => circuitOf(w)?.state === 'Closed', 20_000);
  const events = w.tend('events', '-o', 'json').stdout;
  for (const reason of ['CircuitOpened', 'CircuitHalfOpen', 'CircuitClosed']) assert.match(events, new RegExp(`"reason":"${reason}"`));
});
