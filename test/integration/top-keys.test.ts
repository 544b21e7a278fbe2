/**
 * `tend top` on a real terminal (tmux): it refreshes in place, `/` filters, Enter opens the
 * selected object's instances, Esc goes back and `q` quits, leaving the terminal as it was.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { BIN, createWorld, itemOf, processManifest, waitFor, type World } from './harness.ts';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const skip = !hasTmux && process.env.CI !== 'true' ? 'no tmux (apt-get install -y tmux)' : false;
const session = `tend-top-${process.pid}`;
let world: World;

const screen = (): string => execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });
const keys = (...k: string[]): void => void execFileSync('tmux', ['send-keys', '-t', session, ...k]);

before(async () => {
  if (skip) return;
  world = createWorld();
  world.write('web.yaml', processManifest('web', 'command: ["sleep", "1000"]', 'replicas: 2'));
  world.write('db.yaml', processManifest('db', 'command: ["sleep", "1000"]'));
  await world.up();
  await waitFor('both run', () => itemOf(world.items(), 'process/web').status.readyReplicas === 2 && itemOf(world.items(), 'process/db').status.readyReplicas === 1);
});

after(async () => {
  if (skip) return;
  spawnSync('tmux', ['kill-session', '-t', session]);
  await world.cleanup();
});

test('top takes keys: filter, open an object, back, quit', { skip }, async () => {
  const command = `NO_COLOR=1 ${process.execPath} ${BIN} top -d ${world.dir} --state-dir ${world.stateDir}; echo top-exited-$?; sleep 30`;
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '30', command]);
  await waitFor('the table', () => /web-1/.test(screen()) && /db-0/.test(screen()));
  keys('/', 'd', 'b', 'Enter');
  await waitFor('the filter', () => /filter: db/.test(screen()) && !/web-0/.test(screen()));
  keys('Escape', '/', 'w', 'e', 'b', 'Enter', 'Down', 'Enter');
  await waitFor('web opened', () => /instances of process\/web/.test(screen()));
  const opened = screen();
  assert.match(opened, /web-0/);
  assert.doesNotMatch(opened, /db-0/);
  keys('Escape');
  await waitFor('back to all', () => /all instances/.test(screen()));
  keys('q');
  await waitFor('top to exit 0', () => /top-exited-0/.test(screen()));
});
