/**
 * The background status fill runs after a manifest load that changed something, and only then:
 * `tend reconcile` reloads the manifests on every call, and a reload that changed no object (nor
 * the revision) starts no fill. `tend diff` loads them again only when the watcher saw a change
 * since the last load began (test/cli/runtime-current.test.ts).
 * Counted by `/metrics` (`tend_status_fills_total`, `tend_manifest_loads_total`), not timed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { callApi } from '../../src/api/client.ts';
import { createWorld, processManifest, waitFor, type World } from './harness.ts';

let world: World;
let controller: ChildProcess;

before(async () => {
  world = createWorld();
  for (const name of ['a', 'b', 'c']) world.write(`${name}.yaml`, processManifest(name, 'command: ["sleep", "1000"]'));
  controller = await world.up();
});

after(() => world.cleanup());

async function counter(name: string): Promise<number> {
  const { body } = await callApi(world.stateDir, 'GET', '/metrics');
  const found = new RegExp(`^${name} (\\d+)$`, 'm').exec(String(body));
  assert.ok(found, `${name} is exported`);
  return Number(found[1]);
}

const fills = (): Promise<number> => counter('tend_status_fills_total');
const loads = (): Promise<number> => counter('tend_manifest_loads_total');

// Polls an asynchronous condition until it holds or the deadline passes.
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function allRunning(): boolean {
  const items = world.items();
  return items.length === 3 && items.every((i) => i.status.phase === 'Running');
}

test('a reload that changed nothing starts no fill; an edit starts one', async () => {
  await waitFor('every program to run', allRunning);
  await until('the first load to be filled', async () => (await fills()) >= 1);
  const settled = await fills();
  const loaded = await loads();
  for (let i = 0; i < 3; i++) { const r = world.tend('diff'); assert.equal(r.code, 0, r.stdout + r.stderr); }
  assert.equal(await loads(), loaded, 'nothing changed since the last load: diff did not load again');
  const answer = await callApi(world.stateDir, 'GET', '/v1/diff');
  assert.deepEqual(Object.keys(answer.body as object).sort(), ['actions', 'diagnostics'], 'the answer as docs/api.md gives it, nothing of the load besides');
  const pass = world.tend('reconcile', '--once');
  assert.equal(pass.code, 0, pass.stdout + pass.stderr);
  assert.equal(await loads(), loaded + 1, 'reconcile loads');
  assert.equal(await fills(), settled, 'reconcile reloaded unchanged manifests: no fill');
  world.write('b.yaml', processManifest('b', 'command: ["sleep", "999"]'));
  await until('the edit to start a fill', async () => (await fills()) > settled);
  await waitFor('the edited program to run its new generation', () => world.items().find((i) => i.key === 'process/b')?.instances[0]?.phase === 'Running' && world.items().find((i) => i.key === 'process/b')?.generation === 2);
  assert.equal(controller.exitCode, null);
});
