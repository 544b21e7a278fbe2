/**
 * The local executor through its spawn helper, on real processes checked in /proc: children that
 * escape the process group (setsid, double fork) die with their instance, adoption takes the
 * recorded program and never an escaped child carrying the marker, a program that ends while no
 * executor runs comes back with its real exit, and a memory limit holds the children of a
 * `shell: true` program. Every wait polls with a deadline; every process started is killed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { Executor } from '../../src/executor/executor.ts';
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts';
import { createKernelLimits } from '../../src/executor/local/kernel-limits.ts';
import { findShimBinary } from '../../src/executor/local/shim-client.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import { systemClock } from '../../src/platform/clock.ts';
import { instancesOf, makeSpec, startAction, stopAction, waitFor } from '../executor/contract.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const NODE = process.execPath;
const MiB = 1024 * 1024;
const skip = findShimBinary() === undefined ? 'the spawn helper is not built (npm run build)' : false;

const executors: Executor[] = [];
const stateDirs: string[] = [];

async function newExecutor(stateDir?: string, stateId = `helper-${process.pid}`): Promise<{ executor: Executor; stateDir: string }> {
  const dir = stateDir ?? (await mkdtemp(join(tmpdir(), 'tend-helper-')));
  if (!stateDir) stateDirs.push(dir);
  const executor = createLocalExecutor({ stateDir: dir, stateId, clock: systemClock, cutAbandonedHooks: true });
  executors.push(executor);
  return { executor, stateDir: dir };
}

// Live (non-zombie) processes whose argv is exactly `argv` and whose env carries `stateId`'s marker.
function marked(stateId: string, ...argv: string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') return false;
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1') === wanted && readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`TEND_STATE_ID=${stateId}\0`);
    } catch {
      return false;
    }
  });
}

// `sh -c` that leaves a setsid child and a double-forked grandchild behind, then sleeps itself.
function escaping(tag: number): string {
  return `setsid sleep ${tag + 1} & (sleep ${tag + 2} &); echo started; exec sleep ${tag}`;
}

const escapes = (stateId: string, tag: number): number[] => [...marked(stateId, 'sleep', String(tag + 1)), ...marked(stateId, 'sleep', String(tag + 2))];

async function exitedOf(executor: Executor, object: string, timeoutMs = 10_000): Promise<ObservedInstance> {
  return waitFor(async () => (await instancesOf(executor, object)).find((i) => i.state === 'exited'), timeoutMs);
}

void describe('spawn helper with real processes', { timeout: 90_000, skip }, () => {
  after(async () => {
    for (const executor of executors) {
      for (const instance of executor.snapshot()) if (instance.pid > 1 && instance.state !== 'exited') kill(-instance.pid);
      await executor.close();
    }
    for (const tag of [7100, 7200, 7300, 7400]) for (const pid of escapes(`helper-${process.pid}`, tag)) kill(pid);
    for (const dir of stateDirs) await rm(dir, { recursive: true, force: true });
  });

  void it('a stop kills children that left the group with setsid or a double fork', async () => {
    const { executor } = await newExecutor();
    const stateId = `helper-${process.pid}`;
    const start = startAction('process/escaper', makeSpec([escaping(7100)], { shell: true }));
    await executor.apply(start);
    await waitFor(() => (escapes(stateId, 7100).length === 2 ? true : undefined));
    const left = escapes(stateId, 7100);
    await executor.apply(stopAction(start, false, 10_000));
    const instance = await exitedOf(executor, start.object);
    assert.equal(instance.exit?.signal, 'SIGTERM');
    await waitFor(() => (left.every((pid) => !alive(pid)) ? true : undefined), 3000);
    assert.deepEqual(escapes(stateId, 7100), []);
  });

  void it('a program that ends on its own takes its escaped children with it', async () => {
    const { executor, stateDir } = await newExecutor();
    const stateId = `helper-${process.pid}`;
    const go = join(stateDir, 'go');
    const start = startAction('process/leaver', makeSpec([`setsid sleep 7201 & (sleep 7202 &); while [ ! -f ${go} ]; do sleep 0.05; done; exit 4`], { shell: true }));
    await executor.apply(start);
    await waitFor(() => (escapes(stateId, 7200).length === 2 ? true : undefined));
    writeFileSync(go, '');
    const instance = await exitedOf(executor, start.object);
    assert.deepEqual([instance.exit?.code, instance.exit?.reason, instance.exit?.requested], [4, 'Exited', false]);
    await waitFor(() => (escapes(stateId, 7200).length === 0 ? true : undefined), 3000);
  });

  void it('never adopts an escaped child carrying the marker: the program ended, its exit is told', async () => {
    const { executor: first, stateDir } = await newExecutor();
    const stateId = `helper-${process.pid}`;
    const start = startAction('process/orphaned', makeSpec([escaping(7300)], { shell: true }));
    const started = await first.apply(start);
    const pid = started.ok ? (started.instance?.pid ?? 0) : 0;
    await waitFor(() => (escapes(stateId, 7300).length === 2 ? true : undefined));
    const records = first.snapshot();
    // The controller is gone (its executor closed, nothing stopped); then the program dies.
    await first.close();
    kill(pid, 'SIGKILL');
    await waitFor(() => (escapes(stateId, 7300).length === 0 && marked(stateId, 'sleep', '7300').length === 0 ? true : undefined), 5000);
    for (const given of [records, []]) {
      const { executor: next } = await newExecutor(stateDir);
      const report = await next.adopt(given);
      assert.deepEqual([report.adopted.length, report.found.length, report.lost.length], [0, 0, 0], `adopting ${given.length} records`);
      assert.deepEqual(report.ended?.map((i) => [i.id, i.pid, i.exit?.signal, i.exit?.reason]), [['orphaned-0', pid, 'SIGKILL', 'Exited']]);
      await next.close();
    }
  });

  void it('adopts the program, not its escaped child, after the controller is gone, and its stop kills both', async () => {
    const { executor: first, stateDir } = await newExecutor();
    const stateId = `helper-${process.pid}`;
    const start = startAction('process/kept', makeSpec([escaping(7400)], { shell: true }));
    const started = await first.apply(start);
    const pid = started.ok ? (started.instance?.pid ?? 0) : 0;
    await waitFor(() => (escapes(stateId, 7400).length === 2 ? true : undefined));
    await first.close();
    const { executor: second } = await newExecutor(stateDir);
    const { found, adopted } = await second.adopt([]);
    assert.deepEqual([adopted.length, found.map((i) => [i.id, i.pid])], [0, [['kept-0', pid]]]);
    await second.apply(stopAction(start));
    assert.equal((await exitedOf(second, start.object)).exit?.signal, 'SIGTERM');
    await waitFor(() => (escapes(stateId, 7400).length === 0 ? true : undefined), 3000);
  });

  void it('a program that ends while no executor runs comes back exited with its real code and time', async () => {
    const { executor: first, stateDir } = await newExecutor();
    const ok = startAction('job/quick', makeSpec([NODE, fixture('exit-after.js'), '0', '200']));
    const bad = startAction('job/broken', makeSpec([NODE, fixture('exit-after.js'), '3', '200']));
    const pids: number[] = [];
    for (const action of [ok, bad]) {
      const result = await first.apply(action);
      pids.push(result.ok ? (result.instance?.pid ?? 0) : 0);
    }
    const records = first.snapshot();
    await first.close();
    const closedAt = Date.now();
    await waitFor(() => (pids.every((pid) => !alive(pid)) ? true : undefined));
    const { executor: second } = await newExecutor(stateDir);
    const report = await second.adopt(records);
    assert.deepEqual([report.lost.length, report.found.length], [0, 0]);
    // Ended before the adoption (exit file there), or while it ran (told by the exit file's watch).
    const quick = (await exitedOf(second, ok.object)).exit;
    const broken = (await exitedOf(second, bad.object)).exit;
    assert.deepEqual([quick?.code, quick?.signal, quick?.reason], [0, null, 'Exited']);
    assert.deepEqual([broken?.code, broken?.reason, broken?.requested], [3, 'Exited', false]);
    const at = quick?.at ?? 0;
    assert.ok(at >= closedAt - 5000 && at <= Date.now(), `the exit's own time (${at}), not the adoption's`);
  });

  void it('a program the kernel refuses to exec ends at once as a SpawnError with the reason', async () => {
    const { executor, stateDir } = await newExecutor();
    const garbage = join(stateDir, 'not-a-program');
    writeFileSync(garbage, Buffer.from([0, 1, 2, 3]), { mode: 0o755 });
    const start = startAction('process/refused', makeSpec([garbage]));
    const result = await executor.apply(start);
    const instance = result.ok ? await exitedOf(executor, start.object) : (await instancesOf(executor, start.object))[0];
    assert.deepEqual([instance?.exit?.reason, instance?.exit?.requested], ['SpawnError', false]);
    assert.match(instance?.exit?.message ?? (result.ok ? '' : result.message), /ENOEXEC/);
  });

  void it('a program is in its cgroup from its first instruction, and its exit file is whole with no temp file left', async (t) => {
    const { executor, stateDir } = await newExecutor();
    const start = startAction('process/cgroup-reader', makeSpec(['cat', '/proc/self/cgroup']));
    const result = await executor.apply(start);
    assert.ok(result.ok, 'started');
    const instance = await exitedOf(executor, start.object);
    assert.deepEqual([instance.exit?.code, instance.exit?.reason], [0, 'Exited']);
    const runDir = join(stateDir, 'run');
    const run = readdirSync(runDir).find((name) => name.startsWith('cgroup-reader-0.') && name.endsWith('.run'));
    const cgroup = /^cgroup (.*)$/m.exec(readFileSync(join(runDir, run ?? ''), 'latin1'))?.[1] ?? '';
    if (cgroup === '') return t.skip('no instance cgroup on this host');
    const log = readFileSync(join(stateDir, 'logs', 'cgroup-reader-0.out.log'), 'latin1');
    const name = cgroup.slice(cgroup.lastIndexOf('/'));
    assert.ok(log.split('\n').some((line) => line.endsWith(name)), `its first read of /proc/self/cgroup names ${name}:\n${log}`);
    assert.deepEqual(readdirSync(runDir).filter((file) => file.includes('.tmp')), []);
  });

  void it('a helper killed outright leaves no spare reading behind, and the next start gets a new helper', async () => {
    const { executor, stateDir } = await newExecutor();
    const first = await executor.apply(startAction('process/before', makeSpec(['sleep', '7501'])));
    const shim = first.ok ? shimOf(stateDir, 'before-0.') : 0;
    const helper = parentOf(shim);
    const spares = childrenOf(helper).filter((pid) => pid !== shim);
    assert.equal(spares.length, 1, 'one spare waits for the next request');
    kill(helper);
    await waitFor(() => (alive(helper) || spares.some(alive) ? undefined : true), 5000);
    // A start sent before the controller's end has seen the helper's exit fails as a SpawnError
    // ("the spawn helper ended before it answered") and is tried again, as the controller would.
    const after = startAction('process/after', makeSpec(['sleep', '7502']));
    await waitFor(async () => {
      const next = await executor.apply(after);
      return next.ok && next.instance?.state === 'running' ? true : undefined;
    }, 5000);
    assert.notEqual(parentOf(shimOf(stateDir, 'after-0.')), helper);
    assert.ok(alive(first.ok ? (first.instance?.pid ?? 0) : 0), 'the instance started before keeps running');
  });

  void it('a program whose shim was killed outright keeps running, and its end is told as Lost', async () => {
    const { executor, stateDir } = await newExecutor();
    const start = startAction('process/orphaned', makeSpec(['sleep', '7601']));
    const started = await executor.apply(start);
    const program = started.ok ? (started.instance?.pid ?? 0) : 0;
    const shim = shimOf(stateDir, 'orphaned-0.');
    assert.equal(parentOf(program), shim);
    kill(shim);
    await waitFor(() => (alive(shim) ? undefined : true), 5000);
    // The safety poll (every 2 s) finds the shim gone; the program it left runs on meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.ok(alive(program), 'the program outlives its shim');
    assert.equal((await instancesOf(executor, start.object))[0]?.state, 'running');
    kill(program);
    const instance = await exitedOf(executor, start.object, 10_000);
    assert.equal(instance.exit?.reason, 'Lost');
  });

  void it('the run files of an ended instance go once the next start replaces its record', async () => {
    const { executor, stateDir } = await newExecutor();
    const start = startAction('process/cycle', makeSpec(['true']));
    await executor.apply(start);
    await exitedOf(executor, start.object);
    const runFiles = (): string[] => readdirSync(join(stateDir, 'run')).filter((name) => name.startsWith('cycle-0.')).sort();
    const first = runFiles();
    assert.deepEqual(first.map((name) => name.slice(name.lastIndexOf('.'))), ['.exit', '.run']);
    assert.equal((await executor.apply(start)).ok, true);
    await waitFor(() => (runFiles().some((name) => first.includes(name)) ? undefined : true), 5000);
  });

  void it('a shim makes its exit file ahead only once its program has run a while, and an end after that is told through it', async () => {
    const { executor, stateDir } = await newExecutor();
    const start = startAction('process/later', makeSpec(['sleep', '7500']));
    const started = Date.now();
    assert.equal((await executor.apply(start)).ok, true);
    const shim = shimOf(stateDir, 'later-0.');
    // The nameless inode (O_TMPFILE in the run dir) shows among the shim's fds as "<run>/#<inode> (deleted)".
    const prepared = (): boolean => readdirSync(`/proc/${shim}/fd`).some((fd) => {
      try {
        return /\/run\/#\d+ \(deleted\)$/.test(readlinkSync(`/proc/${shim}/fd/${fd}`));
      } catch {
        return false;
      }
    });
    if (Date.now() - started < 1500) assert.equal(prepared(), false, 'no exit file is made while the program has just started');
    await waitFor(() => (prepared() ? true : undefined), 10_000);
    assert.ok(Date.now() - started >= 1900, 'made after the program ran about two seconds');
    const [running] = await instancesOf(executor, start.object);
    kill(running?.pid ?? 0);
    const exited = await exitedOf(executor, start.object);
    assert.equal(exited.exit?.signal, 'SIGKILL');
    assert.ok(readdirSync(join(stateDir, 'run')).some((name) => name.startsWith('later-0.') && name.endsWith('.exit')));
  });

  void it("a controller's helper runs from its adoption scan, before its first spawn, and goes with it", async () => {
    const helpers = (): number[] => childrenOf(process.pid).filter((pid) => alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'latin1').endsWith('tend-shim\0serve\0'));
    const before = new Set(helpers());
    const { executor } = await newExecutor();
    await executor.adopt([]);
    const helper = await waitFor(() => helpers().find((pid) => !before.has(pid)));
    assert.ok(helper > 1, 'the helper was started before any start was applied');
    await executor.close();
    await waitFor(() => (alive(helper) ? undefined : true));
  });

  void it('holds the children of a shell program to its memory limit: the kernel OOM-kills them', async (t) => {
    if (createKernelLimits(`probe-${process.pid}`).host()?.parents.memory === undefined) return t.skip('no writable memory cgroup on this host');
    const { executor } = await newExecutor();
    const resources = { limits: { memory: 64 * MiB }, onExceed: 'restart' as const, warnAt: 0.8, enforce: 'kernel' as const };
    const command = `'${NODE}' '${fixture('alloc-memory.js')}' 300 && sleep 1000`;
    const start = startAction('process/hungry', makeSpec([command], { shell: true, resources }));
    const result = await executor.apply(start);
    assert.equal(result.ok && result.instance?.enforcement?.memory, 'cgroup');
    const instance = await exitedOf(executor, start.object, 30_000);
    assert.deepEqual([instance.exit?.code, instance.exit?.reason], [137, 'ResourceExhaustion']);
    assert.match(instance.exit?.message ?? '', /killed by the kernel OOM killer \(memory limit 64 MiB\)/);
  });
});

// The shim pid written in the run file of the instance whose token starts with `prefix`.
function shimOf(stateDir: string, prefix: string): number {
  const runDir = join(stateDir, 'run');
  const run = readdirSync(runDir).find((name) => name.startsWith(prefix) && name.endsWith('.run'));
  return Number(/^shim (\d+)$/m.exec(readFileSync(join(runDir, run ?? ''), 'latin1'))?.[1] ?? 0);
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function kill(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
