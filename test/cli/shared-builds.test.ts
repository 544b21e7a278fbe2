/**
 * Status builds shared between requests: one build serves while its inputs (compared by identity)
 * are the ones now and it is young; any change of an input is seen by the next request.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shareBuilds, STATUS_MAX_AGE_MS } from '../../src/cli/shared-builds.ts';

function world() {
  let now = 0;
  let history = new Map<string, number>();
  let builds = 0;
  let release: (() => void) | undefined;
  let hold = false;
  const shared = shareBuilds(
    async () => {
      const n = ++builds;
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      return n;
    },
    () => now,
    () => [history],
  );
  return {
    shared,
    builds: () => builds,
    tick: (ms: number) => void (now += ms),
    write: () => void (history = new Map(history)),
    hold: () => void (hold = true),
    release: () => {
      hold = false;
      release?.();
    },
  };
}

test('requests share one build while its inputs are the same and it is young', async () => {
  const w = world();
  assert.equal(await w.shared.get(), 1);
  w.tick(STATUS_MAX_AGE_MS - 1);
  assert.equal(await w.shared.get(), 1);
  w.tick(1);
  assert.equal(await w.shared.get(), 2, 'too old: built again');
});

test('a write of an input (an exit, a pass, an operator command) is seen by the next request', async () => {
  const w = world();
  assert.equal(await w.shared.get(), 1);
  w.write();
  assert.equal(await w.shared.get(), 2);
  assert.equal(await w.shared.get(), 2);
});

test('a build under way is shared only by requests that see the same inputs; a later one builds after it', async () => {
  const w = world();
  w.hold();
  const first = w.shared.get();
  const same = w.shared.get();
  w.write();
  const after = w.shared.get();
  w.release();
  assert.deepEqual(await Promise.all([first, same, after]), [1, 1, 2]);
  assert.equal(w.builds(), 2);
});

test('a failed build is not shared', async () => {
  let fail = true;
  let builds = 0;
  const shared = shareBuilds(() => (builds++, fail ? Promise.reject(new Error('boom')) : Promise.resolve(builds)), () => 0, () => []);
  await assert.rejects(shared.get());
  fail = false;
  assert.equal(await shared.get(), 2);
});
