/**
 * The spawn helper's rows of `npm run bench` (section `spawning`): the cost of one start through
 * the helper against a direct spawn from the controller, the memory of one shim, and bring-up and
 * kill→replacement with the helper and without it (`TEND_SPAWN_HELPER=off`, the way tend started
 * programs before it). Real processes throughout.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalExecutor, SPAWN_HELPER_ENV } from '../src/executor/local/local-executor.ts';
import { runDirOf } from '../src/executor/local/run-dir.ts';
import { parseRunFile } from '../src/executor/local/shim-protocol.ts';
import { systemClock } from '../src/platform/clock.ts';
import { makeSpec, startAction } from '../test/executor/contract.ts';
import { percentile, processYaml, sleep, startController, tempWorld } from './harness.ts';

/** Reports one row: measure, value, target, whether it is met. */
export type RowSink = (measure: string, value: string, target: string, ok: boolean) => void;

const ms = (n: number): string => `${n.toFixed(2)} ms`;
const OFF = { [SPAWN_HELPER_ENV]: 'off' };

interface StartCost {
  readonly p50: number;
  readonly p99: number;
  /** Controller CPU per start, ms. */
  readonly cpuMs: number;
  /** Mean RSS and PSS of one shim, KiB (helper only). */
  readonly shimKiB?: { readonly rss: number; readonly pss: number };
}

/** Starts `n` instances one after the other through one executor: per-start wall time and controller CPU. */
async function startCost(n: number, helper: boolean): Promise<StartCost> {
  const world = tempWorld();
  const executor = createLocalExecutor({ stateDir: world.stateDir, stateId: `bench-${process.pid}`, clock: systemClock, cutAbandonedHooks: true, ...(helper ? {} : { shimBinary: null }) });
  const samples: number[] = [];
  const pids: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const result = await executor.apply(startAction(`process/s${i}`, makeSpec(['sleep', '3600'])));
    samples.push(performance.now() - t0);
    if (result.ok && result.instance) pids.push(result.instance.pid);
  }
  const cpu = process.cpuUsage(cpu0);
  const shims = helper ? shimPids(world.stateDir) : [];
  const shimKiB = helper ? meanMemory(shims) : undefined;
  for (const pid of pids) kill(-pid);
  await executor.close();
  // The shims write their exit files and remove their cgroups before they go.
  const deadline = Date.now() + 20_000;
  while ([...shims, ...pids].some(existsNow) && Date.now() < deadline) await sleep(50);
  world.cleanup();
  const cost = { p50: percentile(samples, 50), p99: percentile(samples, 99), cpuMs: (cpu.user + cpu.system) / 1000 / n };
  return shimKiB ? { ...cost, shimKiB } : cost;
}

function shimPids(stateDir: string): number[] {
  const dir = runDirOf(stateDir);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.run'))
    .map((name) => parseRunFile(readFileSync(join(dir, name), 'latin1'))?.shimPid ?? 0)
    .filter((pid) => pid > 0);
}

// Mean Rss and Pss (smaps_rollup) of `pids`, KiB.
function meanMemory(pids: readonly number[]): { rss: number; pss: number } {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    rss += Number(/^Rss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
    pss += Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  }
  return { rss: rss / pids.length, pss: pss / pids.length };
}

// Bring-up of `n` replicas from one apply under `tend up`, ms.
async function bringUp(n: number, env: NodeJS.ProcessEnv): Promise<number> {
  const world = tempWorld();
  const c = await startController(world.dir, world.stateDir, env);
  const all = c.count((e) => e.object === 'process/many' && e.reason === 'Started', n);
  const t0 = performance.now();
  writeFileSync(join(world.dir, 'many.yaml'), processYaml('many', { replicas: n }));
  await all;
  const upMs = performance.now() - t0;
  await c.stop();
  world.cleanup();
  return upMs;
}

// Kill of a program → its replacement started (zero backoff), 200 times; p50, p90, p99 in ms.
async function killToReplacement(env: NodeJS.ProcessEnv): Promise<[number, number, number]> {
  const world = tempWorld();
  const c = await startController(world.dir, world.stateDir, env);
  const first = c.next((e) => e.object === 'process/victim' && e.reason === 'Started');
  writeFileSync(join(world.dir, 'victim.yaml'), processYaml('victim', { backoff: '{initialDelay: 0s, jitter: 0}' }));
  let pid = Number(/pid (\d+)/.exec((await first).message)?.[1]);
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) {
    const restarted = c.next((e) => e.object === 'process/victim' && (e.reason === 'Restarted' || e.reason === 'Started'));
    const t0 = performance.now();
    kill(pid);
    const event = await restarted;
    samples.push(performance.now() - t0);
    pid = Number(/pid (\d+)/.exec(event.message)?.[1]);
  }
  await c.stop();
  world.cleanup();
  return [50, 90, 99].map((p) => percentile(samples, p)) as [number, number, number];
}

/** The section: every row with the helper and without it. */
export async function benchSpawning(row: RowSink): Promise<void> {
  const direct = await startCost(200, false);
  const helper = await startCost(200, true);
  const cost = (c: StartCost): string => `p50 ${ms(c.p50)}, p99 ${ms(c.p99)}, controller CPU ${ms(c.cpuMs)}`;
  row('one start, awaited (200 in a row): direct spawn', cost(direct), 'reported', true);
  row('one start, awaited (200 in a row): through the spawn helper', cost(helper), 'reported', true);
  if (helper.shimKiB) row('memory of one shim (per instance)', `RSS ${helper.shimKiB.rss.toFixed(0)} KiB, PSS ${helper.shimKiB.pss.toFixed(0)} KiB`, 'reported', true);
  for (const [n, target] of [[500, 1000], [1000, 2000]] as const) {
    const before = await bringUp(n, { ...process.env, ...OFF });
    const after = await bringUp(n, process.env);
    row(`bring-up of ${n} instances from one apply, direct -> helper`, `${ms(before)} -> ${ms(after)}`, `<= ${target / 1000} s`, after <= target);
  }
  const [b50, b90, b99] = await killToReplacement({ ...process.env, ...OFF });
  const [a50, a90, a99] = await killToReplacement(process.env);
  row('process killed -> replacement running, direct', `p50 ${ms(b50)}, p90 ${ms(b90)}, p99 ${ms(b99)}`, 'reported', true);
  row('process killed -> replacement running, helper', `p50 ${ms(a50)}, p90 ${ms(a90)}, p99 ${ms(a99)}`, 'p50 <= 3 ms, p90 <= 8 ms, p99 <= 15 ms', a50 <= 3 && a90 <= 8 && a99 <= 15);
}

// Alive and not a zombie.
function existsNow(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}
