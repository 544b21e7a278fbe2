// Peer-harness adapter for bench/restart/floor-sup.c: the fork+exec floor of a restart, measured
// the way the harness measures every supervisor. Run from the project root:
//   node ../shared/peer-bench/run.mjs --adapter bench/restart/floor-adapter.mjs --n 200 --only crash,rapid
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const harness = path.dirname(path.resolve(process.argv[1]));
const { startDetached, killPids } = await import(path.join(harness, 'lib', 'exec.mjs'));
const { alive } = await import(path.join(harness, 'lib', 'proc.mjs'));

export const name = 'floor';
export const restartPolicy = 'restart at once on any end: waitpid, fork, execve of /bin/sleep (no shell, cgroup, log or controller)';

export async function version() {
  return 'floor-sup (bench/restart/floor-sup.c)';
}

export async function init(ctx) {
  const bin = path.join(ctx.dir, 'floor-sup');
  const cc = spawnSync('cc', ['-O2', '-o', bin, path.join(here, 'floor-sup.c')], { stdio: 'inherit' });
  if (cc.status !== 0) throw new Error('cannot compile floor-sup.c');
  fs.writeFileSync(path.join(ctx.dir, 'markers.txt'), ctx.programs.map((p) => `${p.argv[1]}\n`).join(''));
}

export async function start(ctx) {
  const child = startDetached(ctx, path.join(ctx.dir, 'floor-sup'), [path.join(ctx.dir, 'markers.txt')]);
  ctx.state.pid = child.pid;
  ctx.state.exit = new Promise((resolve) => child.once('exit', resolve));
}

export async function daemonPids(ctx) {
  return ctx.state.pid && alive(ctx.state.pid) ? [ctx.state.pid] : [];
}

export async function pidOf() {
  return null;
}

export async function addProgram() {
  throw new Error('floor-sup has no config change');
}

export async function stopAll(ctx) {
  if (!ctx.state.pid) return;
  process.kill(ctx.state.pid, 'SIGTERM');
  await ctx.state.exit;
}

export async function cleanup(ctx) {
  if (ctx.state.pid && alive(ctx.state.pid)) await killPids([ctx.state.pid], 2000);
}
