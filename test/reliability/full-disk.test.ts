/**
 * The state dir on a full disk: a small tmpfs is mounted as the state dir and filled. Supervision
 * goes on (a crashing program keeps being restarted, a keeper keeps running), the event log says
 * it cannot write and keeps events in memory, and once space returns it writes again. Skipped,
 * with the reason, where mounting a tmpfs is not permitted (not root, or in a container).
 * Needs `npm run build`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createWorld, itemOf, processManifest, stderrOf, waitFor } from '../integration/harness.ts';

// Writes until the file system refuses; returns the bytes written.
function fill(path: string): number {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(64 * 1024, 120);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return written;
}

test('supervision goes on with the state dir full, and the event log recovers when space returns', { timeout: 180_000 }, async (t) => {
  const w = createWorld();
  mkdirSync(w.stateDir, { recursive: true });
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', w.stateDir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    await w.cleanup();
    t.skip(`cannot mount a tmpfs here: ${(mounted.stderr || mounted.error?.message || 'mount failed').trim()}`);
    return;
  }
  t.after(async () => {
    await w.cleanup().catch(() => undefined);
    spawnSync('umount', ['-l', w.stateDir]);
    rmSync(w.root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  });
  w.write('keeper.yaml', processManifest('keeper', 'command: ["sleep", "100000"]'));
  w.write('flap.yaml', processManifest('flap', 'command: ["sh", "-c", "echo attempt; exit 1"]', 'backoff: {strategy: fixed, initialDelay: 200ms, jitter: 0}'));
  const child = await w.up();
  const restarts = (): number => itemOf(w.items(), 'process/flap').instances[0]?.restarts ?? 0;
  await waitFor('flap to restart', () => restarts() >= 2);
  const keeperPid = itemOf(w.items(), 'process/keeper').instances[0]?.pid;
  const filler = join(w.stateDir, 'filler');
  const filled = fill(filler);
  const before = restarts();
  await waitFor('the event log to report the full disk', () => stderrOf(child).includes('not writable'), 30_000);
  await waitFor('restarts to go on on a full disk', () => restarts() >= before + 5, 60_000);
  assert.equal(itemOf(w.items(), 'process/keeper').instances[0]?.pid, keeperPid, 'the keeper kept running');
  const sizeFull = statSync(join(w.stateDir, 'events.jsonl')).size;
  rmSync(filler);
  await waitFor('the event log to write again', () => stderrOf(child).includes('writable again'), 30_000);
  await waitFor('new events on disk', () => statSync(join(w.stateDir, 'events.jsonl')).size > sizeFull, 30_000);
  const tail = readFileSync(join(w.stateDir, 'events.jsonl'), 'utf8').trim().split('\n').slice(-20).join('\n');
  const report = `filled ${filled} bytes; restarts while full: ${restarts() - before}; events.jsonl ${sizeFull} -> ${statSync(join(w.stateDir, 'events.jsonl')).size} bytes after space returned`;
  t.diagnostic(report);
  process.stdout.write(`# full disk: ${report}\n`);
  assert.match(tail, /EventLogWritable/);
  assert.equal(child.exitCode, null);
  child.kill('SIGTERM');
  await waitFor('the controller to exit', () => child.exitCode !== null, 30_000);
  assert.equal(child.exitCode, 0, stderrOf(child).slice(-2000));
});
