/**
 * A controller killed again and again under churn loses nothing and doubles nothing: `tend up`
 * runs steady programs (replicas 2) and programs that exit every 100-300 ms, each leaving a setsid
 * child behind, and restart; it is SIGKILLed at random moments, then started again. Counted from /proc, by the instance each
 * process's marker names: duplicates (two live processes for one instance), orphans (a live
 * process of no desired instance, or not the one `tend get` shows), missing instances (a desired
 * steady instance with no live process once converged). Each must be 0, and a final SIGTERM
 * leaves nothing alive.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, test } from 'node:test';
import { createWorld, exited, itemOf, processManifest, waitFor, type World } from '../integration/harness.ts';
import { stateIdOf } from '../../src/platform/state-dir.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

const STEADY = ['calm-a', 'calm-b'];
const CHURN = ['churn-a', 'churn-b', 'churn-c'];
const KILLS = 8;

interface Marked {
  readonly pid: number;
  readonly ppid: number;
  readonly instance: string;
}

// Live processes carrying the state dir's marker, with the instance their marker names.
function markedProcesses(stateId: string): Marked[] {
  const found: Marked[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!env.includes(`TEND_STATE_ID=${stateId}`)) continue;
      const instance = env.find((e) => e.startsWith('TEND_INSTANCE='))?.slice('TEND_INSTANCE='.length) ?? '?';
      found.push({ pid, ppid: Number(fields[1]), instance });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

// The processes that stand for an instance: those whose parent is not a process of the same
// instance (a program, or a child that outlived it), by instance.
function processesByInstance(stateId: string): Map<string, number[]> {
  const marked = markedProcesses(stateId);
  const instanceOf = new Map(marked.map((m) => [m.pid, m.instance]));
  const found = new Map<string, number[]>();
  for (const { pid, ppid, instance } of marked) {
    if (instanceOf.get(ppid) === instance) continue;
    found.set(instance, [...(found.get(instance) ?? []), pid]);
  }
  return found;
}

interface Count {
  duplicates: string[];
  orphans: string[];
}

// Duplicates and processes of no desired instance, at one moment.
function countNow(stateId: string): Count {
  const desired = new Set([...STEADY.flatMap((n) => [`${n}-0`, `${n}-1`]), ...CHURN.map((n) => `${n}-0`)]);
  const count: Count = { duplicates: [], orphans: [] };
  for (const [instance, pids] of processesByInstance(stateId)) {
    if (!desired.has(instance)) count.orphans.push(`${instance}:${pids.join(',')}`);
    else if (pids.length > 1) count.duplicates.push(`${instance}:${pids.join(',')}`);
  }
  return count;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test('SIGKILLs of tend up under churn leave no duplicate, no orphan and no missing instance', { timeout: 240_000 }, async () => {
  const w = (world = createWorld());
  const stateId = stateIdOf(w.stateDir);
  for (const name of STEADY) w.write(`${name}.yaml`, processManifest(name, 'command: ["sleep", "1000"]', 'replicas: 2'));
  CHURN.forEach((name, i) => {
    const seconds = (0.1 + 0.1 * i).toFixed(1);
    // Each run leaves a setsid child behind, which must die with it.
    w.write(`${name}.yaml`, processManifest(name, `command: ["sh", "-c", "setsid sleep 1003 & sleep ${seconds}"]`, 'backoff: {strategy: fixed, initialDelay: 10ms, jitter: 0}', 'circuitBreaker: {maxFailures: 1000}'));
  });
  // A finding counts when two samples in a row show it: a child outlives its program by a few
  // microseconds, until its shim kills it.
  const seen: Count = { duplicates: [], orphans: [] };
  let last: Count = { duplicates: [], orphans: [] };
  const sample = (): void => {
    const now = countNow(stateId);
    seen.duplicates.push(...now.duplicates.filter((d) => last.duplicates.includes(d)));
    seen.orphans.push(...now.orphans.filter((o) => last.orphans.includes(o)));
    last = now;
  };
  for (let round = 0; round < KILLS; round++) {
    const up = await w.up();
    const until = Date.now() + 200 + Math.floor(Math.random() * 600);
    while (Date.now() < until) {
      sample();
      await pause(20);
    }
    up.kill('SIGKILL');
    await exited(up);
    sample();
  }
  const up = await w.up();
  const steadyPids = (): number[] => STEADY.flatMap((n) => itemOf(w.items(), `process/${n}`).instances.map((i) => i.pid ?? 0));
  await waitFor('the steady instances to run', () => steadyPids().length === 4 && steadyPids().every((pid) => pid > 0), 30_000);
  const byInstance = processesByInstance(stateId);
  const missing = STEADY.flatMap((n) => [`${n}-0`, `${n}-1`]).filter((id) => (byInstance.get(id) ?? []).length === 0);
  const shown = new Set(steadyPids());
  const unshown = STEADY.flatMap((n) => [`${n}-0`, `${n}-1`]).flatMap((id) => (byInstance.get(id) ?? []).filter((pid) => !shown.has(pid)));
  sample();
  await pause(20);
  sample();
  assert.deepEqual({ duplicates: [...new Set(seen.duplicates)], orphans: [...new Set(seen.orphans), ...unshown.map(String)], missing }, { duplicates: [], orphans: [], missing: [] });
  up.kill('SIGTERM');
  assert.equal(await exited(up), 0);
  await waitFor('nothing left after SIGTERM', () => processesByInstance(stateId).size === 0, 10_000);
});
