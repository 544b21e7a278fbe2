/**
 * The realistic workloads: every program in a manifest file of its own, monitoring at its default
 * (no Node object). `realistic200`: 200 idle programs: bring-up, idle CPU, RSS and PSS, `tend get`
 * as a user runs it (whole process), and kill -> replacement of one of them. `churn`: 50 programs that exit every 100-300 ms, restarted
 * after a fixed 50 ms backoff: how late each restart comes against its plan, the controller's CPU
 * per restart, and what it writes. Its programs are bench/churn-program.c, built with `cc`, whose
 * exec is part of the restart measured; without a compiler, bash scripts, whose start-up of several
 * ms (measured beside them) is taken off.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, COMMAND, cpuNs, percentile, pssBytes, rssBytes, sleep, startController, tempWorld, type Controller } from './harness.ts';
import { callApi } from '../src/api/client.ts';

/** One figure of a workload, with the spec's target. */
export interface Figure {
  readonly measure: string;
  readonly value: string;
  readonly target: string;
  readonly ok: boolean;
}

const ms = (n: number): string => `${n.toFixed(1)} ms`;

// One program per file, as users keep them.
function programYaml(name: string, command: readonly string[], backoff: string): string {
  return `apiVersion: tend/v1\nkind: Process\nmetadata: {name: ${name}}\nspec:\n  command: ${JSON.stringify(command)}\n  backoff: ${backoff}\n`;
}

// Whole-process wall time and CPU time (user + system, of the child) of a command, medians of
// `runs`: on a shared machine the wall time is mostly waiting for a core, the CPU time is not.
export function commandMs(command: string, args: readonly string[], runs: number): { wall: number; cpu: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const [t0, c0] = [performance.now(), childrenCpuMs()];
    const result = spawnSync(command, args, { encoding: 'utf8' });
    walls.push(performance.now() - t0);
    cpus.push(childrenCpuMs() - c0);
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  }
  return { wall: percentile(walls, 50), cpu: percentile(cpus, 50) };
}

// CPU time of this process's waited-for children (cutime + cstime of /proc/self/stat), in ms.
function childrenCpuMs(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

export const timing = (t: { wall: number; cpu: number }): string => `median ${ms(t.wall)} wall, ${ms(t.cpu)} CPU`;

/** 200 idle programs, one file each, default monitoring. */
export async function realistic200(): Promise<Figure[]> {
  const n = 200;
  const world = tempWorld();
  for (let i = 0; i < n; i++) writeFileSync(join(world.dir, `w${i}.yaml`), programYaml(`w${i}`, ['sleep', '3600'], '{strategy: fixed, initialDelay: 0s, jitter: 0}'));
  const t0 = performance.now();
  const c = await startController(world.dir, world.stateDir);
  await waitUntil(() => startedCount(world.stateDir) >= n, 60_000);
  const upMs = performance.now() - t0;
  await sleep(15_000);
  const pid = c.child.pid ?? 0;
  const rss = rssBytes(pid) / 2 ** 20;
  const pss = pssBytes(pid) / 2 ** 20;
  const windowMs = 30_000;
  const cpu0 = cpuNs(pid);
  await sleep(windowMs);
  const pct = ((cpuNs(pid) - cpu0) / 1e6 / windowMs) * 100;
  const common = ['-d', world.dir, '--state-dir', world.stateDir];
  const getAll = commandMs(process.execPath, [BIN, 'get', ...common], 11);
  const getOne = commandMs(process.execPath, [BIN, 'get', 'process/w7', '-o', 'json', ...common], 11);
  const launched = commandMs(COMMAND, ['get', 'process/w7', '-o', 'json', ...common], 11);
  const baseline = commandMs(process.execPath, ['-e', '0'], 11);
  const kill = await killToReplacement(c, 'process/w7', 100);
  await c.stop();
  world.cleanup();
  return [
    { measure: `bring-up of ${n} programs, one file each (controller start included)`, value: ms(upMs), target: '—', ok: true },
    { measure: `controller CPU with ${n} idle programs, one file each, monitoring at its default (1 s)`, value: `${pct.toFixed(3)} % of one core`, target: 'below PM2 (about 0.2 %)', ok: pct < 0.2 },
    { measure: `controller RSS with ${n} idle programs, one file each`, value: `${rss.toFixed(1)} MB (PSS ${pss.toFixed(1)} MB)`, target: '<= 50 MB', ok: rss <= 50 },
    { measure: '`tend get` (table of all 200) against the running controller, whole process', value: timing(getAll), target: 'p50 <= 80 ms', ok: getAll.wall <= 80 },
    { measure: '`tend get process/w7 -o json` against the running controller, whole process', value: timing(getOne), target: 'p50 <= 80 ms', ok: getOne.wall <= 80 },
    { measure: 'the same through bin/tend, the installed command (without NODE_EXTRA_CA_CERTS)', value: timing(launched), target: 'p50 <= 80 ms', ok: launched.wall <= 80 },
    { measure: '`node -e 0` (Node\'s own start and exit), for scale', value: timing(baseline), target: '—', ok: true },
    { measure: `process killed -> replacement running (zero backoff), among ${n} programs`, value: `p50 ${ms(kill[0])}, p90 ${ms(kill[1])}, p99 ${ms(kill[2])}`, target: 'p50 <= 3 ms, p90 <= 8 ms, p99 <= 15 ms', ok: kill[0] <= 3 && kill[1] <= 8 && kill[2] <= 15 },
  ];
}

// SIGKILLs the instance of `key` `times` times; from each kill to the controller's Started event
// of its replacement: p50, p90, p99 in ms.
async function killToReplacement(c: Controller, key: string, times: number): Promise<[number, number, number]> {
  const { body } = await callApi(c.stateDir, 'GET', '/v1/objects');
  let pid = (body as { items: { key: string; instances: { pid: number | null }[] }[] }).items.find((i) => i.key === key)?.instances[0]?.pid ?? 0;
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = c.next((e) => e.object === key && e.reason === 'Started');
    const t0 = performance.now();
    process.kill(pid, 'SIGKILL');
    const event = await started;
    samples.push(performance.now() - t0);
    pid = Number(/pid (\d+)/.exec(event.message)?.[1]);
  }
  return [percentile(samples, 50), percentile(samples, 90), percentile(samples, 99)];
}

function startedCount(stateDir: string): number {
  try {
    return (readFileSync(join(stateDir, 'events.jsonl'), 'utf8').match(/"reason":"Started"/g) ?? []).length;
  } catch {
    return 0;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

const BACKOFF_MS = 50;

/**
 * 50 programs, each `bash` that notes its start time, sleeps 100-300 ms, notes its exit time and
 * exits; restartPolicy Always with a fixed 50 ms backoff. Lateness of a restart = the next start
 * minus the exit minus 50 ms minus bash's own start-up (measured here the same way), so it is
 * tend's delay from the exit to the spawn beyond the planned backoff.
 */
export async function churn(): Promise<Figure[]> {
  const world = tempWorld();
  const log = join(world.root, 'times');
  writeFileSync(log, '');
  const program = churnProgram(world.root);
  const n = 50;
  for (let i = 0; i < n; i++) {
    const seconds = (0.1 + ((i * 37) % 200) / 1000).toFixed(3);
    writeFileSync(join(world.dir, `c${i}.yaml`), programYaml(`c${i}`, program.command(log, String(i), seconds), `{strategy: fixed, initialDelay: ${BACKOFF_MS}ms, maxDelay: ${BACKOFF_MS}ms, jitter: 0}`));
  }
  const c = await startController(world.dir, world.stateDir);
  await sleep(10_000);
  const pid = c.child.pid ?? 0;
  const windowMs = 20_000;
  const events = join(world.stateDir, 'events.jsonl');
  const [cpu0, ev0, io0, at0] = [cpuNs(pid), statSync(events).size, writtenBytes(pid), Date.now() / 1000];
  await sleep(windowMs);
  const [cpu1, ev1, io1, at1] = [cpuNs(pid), statSync(events).size, writtenBytes(pid), Date.now() / 1000];
  await c.stop();
  const startup = program.startup ? startupMs(program, join(world.root, 'startup'), 21) : 0;
  const late = lateness(readFileSync(log, 'utf8'), at0, at1).map((d) => d - BACKOFF_MS - startup);
  world.cleanup();
  const restarts = late.length;
  const perRestartMs = (cpu1 - cpu0) / 1e6 / Math.max(1, restarts);
  const [p50, p99] = [percentile(late, 50), percentile(late, 99)];
  const seconds = windowMs / 1000;
  return [
    { measure: `churn, ${n} programs (${program.name}) exiting every 100-300 ms, 50 ms backoff: restarts in ${seconds} s`, value: `${restarts} (${(restarts / seconds).toFixed(0)}/s)`, target: '—', ok: true },
    { measure: 'churn: exit -> restart beyond the planned backoff', value: `p50 ${ms(p50)}, p99 ${ms(p99)} (${program.startup ? `bash's start-up, ${ms(startup)}, taken off` : 'the program\'s exec included'})`, target: 'p50 <= 5 ms, p99 <= 20 ms', ok: p50 <= 5 && p99 <= 20 },
    { measure: 'churn: controller CPU per restart', value: ms(perRestartMs), target: '<= 2 ms', ok: perRestartMs <= 2 },
    { measure: 'churn: events.jsonl growth / everything the controller writes (logs, events, state)', value: `${((ev1 - ev0) / 1024 / seconds).toFixed(1)} KB/s / ${((io1 - io0) / 1024 / seconds).toFixed(1)} KB/s`, target: '—', ok: true },
  ];
}

// A churn program: notes "s ID TIME" as it starts, sleeps, notes "e ID TIME", exits.
interface ChurnProgram {
  readonly name: string;
  /** Its start-up (exec to first note) is long enough to be measured and taken off the lateness. */
  readonly startup: boolean;
  command(log: string, id: string, seconds: string): string[];
}

// bench/churn-program.c built into `dir` (statically where the C library allows), else bash.
function churnProgram(dir: string): ChurnProgram {
  const source = join(import.meta.dirname, 'churn-program.c');
  const bin = join(dir, 'churn-program');
  for (const args of [['-O2', '-static', '-o', bin, source], ['-O2', '-o', bin, source]]) {
    if (spawnSync('cc', args, { stdio: 'ignore' }).status === 0) return { name: 'bench/churn-program.c', startup: false, command: (log, id, seconds) => [bin, log, id, seconds] };
  }
  return {
    name: 'bash, no C compiler',
    startup: true,
    command: (log, id, seconds) => ['bash', '-c', `echo "s ${id} $EPOCHREALTIME" >> ${log}; sleep ${seconds}; echo "e ${id} $EPOCHREALTIME" >> ${log}`],
  };
}

// Each exit followed by the next start of the same program, in ms, inside [from, to] (s).
function lateness(text: string, from: number, to: number): number[] {
  const lastExit = new Map<string, number>();
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const [kind, program, time] = line.split(' ');
    const at = Number(time?.replace(',', '.'));
    if (!program || !Number.isFinite(at)) continue;
    if (kind === 'e') lastExit.set(program, at);
    const exit = lastExit.get(program);
    if (kind === 's' && exit !== undefined && at >= from && at <= to) out.push((at - exit) * 1000);
  }
  return out;
}

// From spawning bash to its first note, median of `runs` (each run's note in `log`).
function startupMs(program: ChurnProgram, log: string, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    writeFileSync(log, '');
    const [command, ...args] = program.command(log, 'x', '0');
    const t0 = Date.now() / 1000;
    spawnSync(command as string, args, { stdio: 'ignore' });
    const at = Number(readFileSync(log, 'utf8').split('\n')[0]?.split(' ')[2]?.replace(',', '.'));
    if (Number.isFinite(at)) samples.push((at - t0) * 1000);
  }
  return percentile(samples, 50);
}

// Bytes the process caused to be written (`write_bytes` of /proc/PID/io).
function writtenBytes(pid: number): number {
  return Number(/^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
}
