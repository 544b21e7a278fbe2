/**
 * The local executor against real processes, checked through /proc: group kills, the grace
 * period, adoption by pid and start time, the marker scan, log files and rotation. Every wait
 * polls for a condition with a deadline; every process started is killed in `after`.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { Executor } from '../../src/executor/executor.ts';
import { createLocalExecutor, type LocalExecutorOptions } from '../../src/executor/local/local-executor.ts';
import { logPaths } from '../../src/executor/local/log-files.ts';
import { LogRotator } from '../../src/executor/local/log-rotator.ts';
import { readProcStat } from '../../src/executor/local/proc-stat.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { Cancel, Clock } from '../../src/platform/clock.ts';
import { systemClock } from '../../src/platform/clock.ts';
import {
  instancesOf,
  makeSpec,
  SLEEP_FOREVER,
  startAction,
  stopAction,
  waitFor,
  withTimeout,
} from '../executor/contract.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const NODE = process.execPath;

const executors: Executor[] = [];
const strayPids = new Set<number>();
const stateDirs: string[] = [];

async function newExecutor(overrides: Partial<LocalExecutorOptions> = {}): Promise<{ executor: Executor; stateDir: string }> {
  const stateDir = overrides.stateDir ?? (await mkdtemp(join(tmpdir(), 'tend-it-')));
  stateDirs.push(stateDir);
  const executor = createLocalExecutor({ stateDir, stateId: `it-${process.pid}-${stateDirs.length}`, clock: systemClock, ...overrides });
  executors.push(executor);
  return { executor, stateDir };
}

function kill(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

// Gone, or a zombie: killed, and left for an init that may not reap it.
function isGone(pid: number): boolean {
  const procStat = readProcStat(pid);
  return procStat === undefined || procStat.state === 'Z';
}

function groupMembers(pgid: number): readonly number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => readProcStat(pid)?.pgid === pgid && !isGone(pid));
}

async function logText(stateDir: string, id: string, stream: 'out' | 'err'): Promise<string> {
  return readFile(join(stateDir, 'logs', `${id}.${stream}.log`), 'utf8').catch(() => '');
}

async function waitForLog(stateDir: string, id: string, pattern: RegExp): Promise<RegExpExecArray> {
  return waitFor(async () => pattern.exec(await logText(stateDir, id, 'out')) ?? undefined);
}

async function waitForExit(executor: Executor, object: string): Promise<ObservedInstance> {
  return waitFor(async () => (await instancesOf(executor, object)).find((instance) => instance.state === 'exited'));
}

/** A clock whose timers fire only when the test says so. */
class ManualClock implements Clock {
  readonly timers = new Set<{ readonly ms: number; readonly fn: () => void }>();
  now(): number {
    return Date.now();
  }
  after(ms: number, fn: () => void): Cancel {
    const timer = { ms, fn };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }
  fire(ms: number): void {
    for (const timer of [...this.timers]) {
      if (timer.ms !== ms) continue;
      this.timers.delete(timer);
      timer.fn();
    }
  }
}

void describe('local executor with real processes', { timeout: 60_000 }, () => {
  after(async () => {
    for (const executor of executors) {
      for (const instance of executor.snapshot()) if (instance.pid > 1 && instance.state !== 'exited') kill(-instance.pid);
      await executor.close();
    }
    for (const pid of strayPids) kill(pid);
    for (const dir of stateDirs) await rm(dir, { recursive: true, force: true });
  });

  void it('records the exit code of a program that exits and notifies', async () => {
    const { executor } = await newExecutor();
    const start = startAction('process/exit3', makeSpec([NODE, fixture('exit-after.js'), '3', '50']));
    const notified = new Promise<string>((resolve) => executor.subscribe(resolve));
    await executor.apply(start);
    assert.equal(await withTimeout(notified), start.object);
    const instance = await waitForExit(executor, start.object);
    assert.deepEqual(
      { code: instance.exit?.code, signal: instance.exit?.signal, reason: instance.exit?.reason, requested: instance.exit?.requested },
      { code: 3, signal: null, reason: 'Exited', requested: false },
    );
  });

  void it('stop kills every member of the process group, grandchildren included', async () => {
    const { executor, stateDir } = await newExecutor();
    const start = startAction('process/tree', makeSpec([NODE, fixture('spawn-grandchild.js')]));
    const started = await executor.apply(start);
    const leader = started.ok ? (started.instance?.pid ?? 0) : 0;
    const grandchild = Number((await waitForLog(stateDir, start.instance, /grandchild (\d+)/))[1]);
    strayPids.add(grandchild);
    await waitForLog(stateDir, start.instance, /ready/);
    const members = groupMembers(leader);
    assert.ok(members.includes(leader) && members.includes(grandchild), `group ${leader} has ${members.join(',')}`);
    // The grandchild ignores SIGTERM; it must still be gone well before the 10 s grace period.
    await executor.apply(stopAction(start, false, 10_000));
    await waitFor(() => (members.every(isGone) ? true : undefined), 3000);
    assert.deepEqual(groupMembers(leader), []);
  });

  void it('SIGKILLs a program that ignores SIGTERM once the grace period is over', async () => {
    const { executor, stateDir } = await newExecutor();
    const start = startAction('process/stubborn', makeSpec([NODE, fixture('ignore-sigterm.js')]));
    await executor.apply(start);
    await waitForLog(stateDir, start.instance, /ready/);
    const stoppedAt = Date.now();
    const result = await executor.apply(stopAction(start, false, 300));
    assert.equal(result.ok && result.outcome, 'stopping');
    assert.equal((await instancesOf(executor, start.object))[0]?.state, 'stopping');
    const instance = await waitForExit(executor, start.object);
    assert.equal(instance.exit?.signal, 'SIGKILL');
    assert.equal(instance.exit?.requested, true);
    assert.ok((instance.exit?.at ?? 0) - stoppedAt >= 290, 'killed before the grace period ended');
  });

  void it('adopts a live process by pid and start time, learns its real exit from its shim and can stop it', async () => {
    const { executor: first, stateDir } = await newExecutor();
    const start = startAction('process/adoptee', makeSpec([NODE, SLEEP_FOREVER]));
    await first.apply(start);
    const records = first.snapshot();
    await first.close();
    const { executor: second } = await newExecutor({ stateDir, stateId: 'other-state-id' });
    const report = await second.adopt(records);
    assert.deepEqual(report.adopted.map((instance) => instance.pid), records.map((record) => record.pid));
    assert.deepEqual([report.lost.length, report.found.length], [0, 0]);
    assert.equal((await instancesOf(second, start.object))[0]?.state, 'running');
    const notified = new Promise<string>((resolve) => second.subscribe(resolve));
    assert.equal((await second.apply(stopAction(start))).ok, true);
    assert.equal(await withTimeout(notified), start.object);
    const instance = await waitForExit(second, start.object);
    assert.deepEqual([instance.exit?.reason, instance.exit?.signal, instance.exit?.requested], ['Exited', 'SIGTERM', true]);
  });

  void it('SIGKILLs an instance adopted mid-stop once the default grace period is over', async () => {
    const { executor: first, stateDir } = await newExecutor();
    const start = startAction('process/half-stopped', makeSpec([NODE, fixture('ignore-sigterm.js')]));
    await first.apply(start);
    await waitForLog(stateDir, start.instance, /ready/);
    await first.apply(stopAction(start, false, 60_000));
    const records = first.snapshot();
    await first.close();
    const clock = new ManualClock();
    const { executor: second } = await newExecutor({ stateDir, clock });
    assert.equal((await second.adopt(records)).adopted[0]?.state, 'stopping');
    clock.fire(10_000);
    const instance = await waitForExit(second, start.object);
    assert.deepEqual([instance.exit?.reason, instance.exit?.signal, instance.exit?.requested], ['Exited', 'SIGKILL', true]);
  });

  void it('never adopts a record whose pid now belongs to another process', async () => {
    const { executor } = await newExecutor();
    const self = readProcStat(process.pid);
    assert.ok(self);
    // This test process is alive but is not the process the record names (start time differs).
    const record: ObservedInstance = { ...earlierRecord(), pid: process.pid, startTicks: self.startTicks + 1 };
    const report = await executor.adopt([record]);
    assert.deepEqual([report.adopted.length, report.lost.length], [0, 1]);
    const [instance] = await instancesOf(executor, record.object);
    assert.deepEqual([instance?.state, instance?.exit?.reason], ['exited', 'Lost']);
    assert.equal(readProcStat(process.pid)?.startTicks, self.startTicks, 'the unrelated process was left alone');
  });

  void it('finds an unrecorded instance by the run file its shim wrote', async () => {
    const { executor: first, stateDir } = await newExecutor({ stateId: `marker-${process.pid}` });
    const start = startAction('process/marked', makeSpec([NODE, SLEEP_FOREVER]), 'hash-m');
    const started = await first.apply(start);
    await first.close();
    const { executor: stranger } = await newExecutor({ stateId: `stranger-${process.pid}` });
    assert.deepEqual((await stranger.adopt([])).found, []);
    const { executor: second } = await newExecutor({ stateDir, stateId: `marker-${process.pid}` });
    const { found } = await second.adopt([]);
    assert.equal(found.length, 1);
    const [instance] = found;
    assert.equal(instance?.pid, started.ok ? started.instance?.pid : -1);
    assert.deepEqual(
      [instance?.object, instance?.id, instance?.replica, instance?.specHash, instance?.generation, instance?.state],
      ['process/marked', 'marked-0', 0, 'hash-m', 1, 'running'],
    );
    assert.ok(Math.abs((instance?.startedAt ?? 0) - Date.now()) < 10_000, 'startedAt from start ticks and boot time');
  });

  void it('writes stdout and stderr to the log files, with the TEND_ variables set', async () => {
    const { executor, stateDir } = await newExecutor({ stateId: 'log-test' });
    const start = startAction('process/printer', makeSpec([NODE, fixture('print-and-exit.js')]));
    await executor.apply(start);
    await waitForExit(executor, start.object);
    assert.equal(await logText(stateDir, start.instance, 'out'), 'out\n');
    assert.equal(await logText(stateDir, start.instance, 'err'), 'err\n');
    const shell = startAction('process/sh', makeSpec(['echo "$TEND_NAME $TEND_INSTANCE $TEND_STATE_ID $TEND_OBJECT"'], { shell: true }));
    await executor.apply(shell);
    await waitForExit(executor, shell.object);
    assert.equal(await logText(stateDir, shell.instance, 'out'), 'sh sh-0 log-test process/sh\n');
  });

  void it('runs the program as spec.user when tend runs as root', { skip: process.getuid?.() === 0 ? false : 'needs root' }, async () => {
    const { executor } = await newExecutor({ asRoot: true });
    const start = startAction('process/nobody', makeSpec(['sleep', '1000'], { user: 'nobody' }));
    const started = await executor.apply(start);
    const pid = started.ok ? (started.instance?.pid ?? 0) : 0;
    const uid = await waitFor(async () => /^Uid:\t(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);
    assert.notEqual(uid, '0');
    const unknown = await executor.apply(startAction('process/ghost', makeSpec(['sleep', '1'], { user: 'no-such-user-here' })));
    assert.equal(!unknown.ok && unknown.reason, 'SpawnError');
  });

  void it('rotates a log file that outgrew maxSize, copytruncate style', async () => {
    const clock = new ManualClock();
    const { executor, stateDir } = await newExecutor({ clock });
    const logs = { maxSizeBytes: 1000, maxFiles: 2 };
    const start = startAction('process/chatty', makeSpec([NODE, SLEEP_FOREVER, '5000'], { logs }));
    await executor.apply(start);
    await waitForLog(stateDir, start.instance, /ready/);
    const out = join(stateDir, 'logs', `${start.instance}.out.log`);
    await writeFile(`${out}.1`, 'older');
    clock.fire(5000);
    await waitFor(async () => ((await stat(out)).size === 0 && existsSync(`${out}.2`) ? true : undefined));
    assert.equal(await readFile(`${out}.2`, 'utf8'), 'older');
    assert.match(await readFile(`${out}.1`, 'utf8'), /^x{5000}ready\n$/);
  });

  void it('reports a failed rotation as a warning and still truncates', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'tend-it-'));
    stateDirs.push(stateDir);
    const { out } = logPaths(stateDir, 'full-0');
    await mkdir(`${out}.1`, { recursive: true });
    await writeFile(out, 'x'.repeat(2000));
    const warnings: string[] = [];
    const rotator = new LogRotator({
      clock: new ManualClock(),
      stateDir,
      list: () => [{ object: 'process/full', id: 'full-0', logs: { maxSizeBytes: 1000, maxFiles: 1 } }],
      onWarning: (reason, _message, object) => warnings.push(`${reason} ${object}`),
    });
    await rotator.rotateNow();
    assert.deepEqual(warnings, ['LogRotationFailed process/full']);
    assert.equal((await stat(out)).size, 0);
  });
});

// A plausible record of an instance that some earlier controller started.
function earlierRecord(): ObservedInstance {
  return {
    id: 'recycled-0',
    object: 'process/recycled',
    replica: 0,
    pid: 0,
    startTicks: 0,
    specHash: 'hash-r',
    generation: 1,
    startedAt: Date.now() - 60_000,
    state: 'running',
  };
}
