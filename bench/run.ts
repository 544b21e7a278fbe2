/**
 * `npm run bench`: the performance rows of the spec (§7) that tend can reach today, each printed
 * next to its target. Real processes, a real `tend up`, real files; nothing here is a test.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, COMMAND, cpuNs, percentile, processYaml, rssBytes, sleep, startController, tempWorld } from './harness.ts';
import { noChangePass } from './no-change-pass.ts';
import { prlimitCost, samplePassSteps } from './sample-steps.ts';
import { benchPools } from './pools.ts';
import { benchSpawning } from './spawning.ts';
import { benchDashboard } from './dashboard.ts';
import { benchScale, benchScaleCalls } from './scale.ts';
import { wiredSchedulingPass } from './scheduling-world.ts';
import { churn, commandMs, realistic200, timing, type Figure } from './realistic.ts';
import { schedule } from '../src/scheduler/schedule.ts';
import { callApi } from '../src/api/client.ts';

interface Row {
  readonly measure: string;
  readonly value: string;
  readonly target: string;
  readonly ok: boolean;
}

const rows: Row[] = [];
const row = (measure: string, value: string, target: string, ok: boolean): void => {
  rows.push({ measure, value, target, ok });
  process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${measure}: ${value}  (target ${target})\n`);
};
const ms = (n: number): string => `${n.toFixed(2)} ms`;

async function saveToRunning(): Promise<void> {
  const world = tempWorld();
  const c = await startController(world.dir, world.stateDir);
  const samples: number[] = [];
  for (let i = 0; i < 60; i++) {
    const name = `p${i}`;
    const started = c.next((e) => e.object === `process/${name}` && e.reason === 'Started');
    const t0 = performance.now();
    writeFileSync(join(world.dir, `${name}.yaml`), processYaml(name));
    await started;
    samples.push(performance.now() - t0);
  }
  const p50 = percentile(samples, 50);
  const p99 = percentile(samples, 99);
  row('manifest saved -> new process running', `p50 ${ms(p50)}, p99 ${ms(p99)}`, 'p50 <= 25 ms, p99 <= 50 ms', p50 <= 25 && p99 <= 50);
  await c.stop();
  world.cleanup();
}

async function killToReplacement(): Promise<void> {
  const world = tempWorld();
  writeFileSync(join(world.dir, 'victim.yaml'), processYaml('victim', { backoff: '{initialDelay: 0s, jitter: 0}' }));
  const c = await startController(world.dir, world.stateDir);
  let pid = await firstPid(c.stateDir, 'process/victim');
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) {
    const restarted = c.next((e) => e.object === 'process/victim' && (e.reason === 'Restarted' || e.reason === 'Started'));
    const t0 = performance.now();
    process.kill(pid, 'SIGKILL');
    const event = await restarted;
    samples.push(performance.now() - t0);
    pid = Number(/pid (\d+)/.exec(event.message)?.[1]);
  }
  const [p50, p90, p99] = [50, 90, 99].map((p) => percentile(samples, p)) as [number, number, number];
  row('process killed -> replacement running (zero backoff)', `p50 ${ms(p50)}, p90 ${ms(p90)}, p99 ${ms(p99)}`, 'p50 <= 3 ms, p90 <= 8 ms, p99 <= 15 ms', p50 <= 3 && p90 <= 8 && p99 <= 15);
  await c.stop();
  world.cleanup();
}

async function firstPid(stateDir: string, key: string): Promise<number> {
  const { callApi } = await import('../src/api/client.ts');
  for (;;) {
    const { body } = await callApi(stateDir, 'GET', '/v1/objects');
    const item = (body as { items: { key: string; instances: { pid: number | null }[] }[] }).items.find((i) => i.key === key);
    const pid = item?.instances[0]?.pid;
    if (pid) return pid;
    await sleep(10);
  }
}

// Bring-up of n instances from one file, then idle CPU and RSS, then the stop of everything.
// `monitor` is the sampling interval the Node object sets (`0s`: monitoring off).
async function scale(n: number, target: { upMs: number; rssMb: number; cpuPct?: number; stopMs?: number; monitor: string; cpuOnly?: boolean }): Promise<void> {
  const world = tempWorld();
  writeFileSync(join(world.dir, 'node.yaml'), `apiVersion: tend/v1\nkind: Node\nmetadata: {name: local}\nspec:\n  monitor: {interval: ${target.monitor}}\n`);
  const c = await startController(world.dir, world.stateDir);
  const all = c.count((e) => e.object === 'process/many' && e.reason === 'Started', n);
  const t0 = performance.now();
  writeFileSync(join(world.dir, 'many.yaml'), processYaml('many', { replicas: n }));
  await all;
  const upMs = performance.now() - t0;
  if (!target.cpuOnly) row(`bring-up of ${n} instances from one apply`, ms(upMs), `<= ${target.upMs / 1000} s`, upMs <= target.upMs);
  // Idle means steady state: past the bring-up's garbage and the log rotator's first looks.
  await sleep(15_000);
  const pid = c.child.pid ?? 0;
  const rss = rssBytes(pid) / 1024 / 1024;
  if (!target.cpuOnly) row(`controller RSS with ${n} instances`, `${rss.toFixed(1)} MB`, `<= ${target.rssMb} MB`, rss <= target.rssMb);
  const windowMs = 30_000;
  const cpu0 = cpuNs(pid);
  await sleep(windowMs);
  const pct = ((cpuNs(pid) - cpu0) / 1e6 / windowMs) * 100;
  const cpuTarget = target.cpuPct ?? 3;
  const label = target.monitor === '0s'
    ? `controller CPU with ${n} idle instances, monitoring off`
    : `controller CPU while supervising ${n.toLocaleString('en')} idle instances, monitoring at ${target.monitor.replace(/(\d)([a-z])/, '$1 $2')}`;
  row(label, `${pct.toFixed(3)} % of one core`, `<= ${cpuTarget} %`, pct <= cpuTarget);
  const s0 = performance.now();
  const code = await c.stop();
  const stopMs = performance.now() - s0;
  if (target.stopMs !== undefined) {
    row(`stop of ${n} instances that exit on SIGTERM, plus controller exit`, `${ms(stopMs)} (exit code ${code})`, `<= ${target.stopMs / 1000} s`, stopMs <= target.stopMs && code === 0);
  }
  world.cleanup();
}

function validate100(): void {
  const world = tempWorld();
  for (let i = 0; i < 100; i++) writeFileSync(join(world.dir, `p${i}.yaml`), processYaml(`p${i}`, { replicas: 2 }));
  const validate = commandMs(COMMAND, ['validate', '-d', world.dir], 11);
  const direct = commandMs(process.execPath, [BIN, 'validate', '-d', world.dir], 11);
  const baseline = commandMs(process.execPath, ['-e', '0'], 11);
  row('tend validate of 100 manifest files, whole process (bin/tend, the installed command)', timing(validate), '<= 150 ms', validate.wall <= 150);
  row('the same as `node bin/tend.js validate` (Node keeps NODE_EXTRA_CA_CERTS)', timing(direct), '—', true);
  row('`node -e 0` beside it, for scale', timing(baseline), '—', true);
  rmSync(world.root, { recursive: true, force: true });
}

// 10,000 pending jobs of mixed priority and size against a full-ish machine with 100 lower
// running ones that preemption may evict; median of 20 passes after 5 to warm up, as a running
// controller would be.
function schedulingPass(): void {
  const job = (i: number, state: 'pending' | 'running') => ({ id: `${state}-${i}`, requests: { cpu: 0.25 + (i % 4) * 0.25, memory: ((i % 5) + 1) * 2 ** 28 }, priority: state === 'running' ? (i * 3) % 20 : (i * 7) % 41, arrivedAt: i, preemptible: true, preemption: 'suspend' as const, countsTowardMaxJobs: true, state, startedAt: i });
  const units = [...Array.from({ length: 100 }, (_, i) => job(i, 'running')), ...Array.from({ length: 10_000 }, (_, i) => job(i, 'pending'))];
  const policy = { capacity: { cpu: 64, memory: 128 * 2 ** 30 }, maxConcurrentJobs: 150, preemption: true, aging: { everyMs: 60_000, boost: 1 }, timeSliceMs: 0 };
  const samples = Array.from({ length: 25 }, () => {
    const t0 = performance.now();
    schedule({ policy, units, now: 120_000 });
    return performance.now() - t0;
  }).slice(5);
  const p50 = percentile(samples, 50);
  row('scheduling pass over 10,000 pending jobs', `median ${ms(p50)}`, '<= 20 ms', p50 <= 20);
  const wired = wiredSchedulingPass(10_000);
  row('scheduling pass over 10,000 pending Job objects (units built from the world, as the controller does)', `median ${ms(wired)}`, '—', true);
}

// Short Jobs (`true`) through the whole controller: written in one file, queued behind
// maxConcurrentJobs, started, reaped and marked Succeeded; jobs per second from the write to the
// last Completed event.
async function jobThroughput(): Promise<void> {
  const n = 500;
  const world = tempWorld();
  writeFileSync(join(world.dir, 'node.yaml'), 'apiVersion: tend/v1\nkind: Node\nmetadata: {name: local}\nspec:\n  maxConcurrentJobs: 16\n  monitor: {interval: 0s}\n');
  const c = await startController(world.dir, world.stateDir);
  const all = c.count((e) => e.object.startsWith('job/') && e.reason === 'Completed', n);
  const docs = Array.from({ length: n }, (_, i) => `apiVersion: tend/v1\nkind: Job\nmetadata: {name: short-${i}}\nspec:\n  command: ["true"]\n`);
  const t0 = performance.now();
  writeFileSync(join(world.dir, 'jobs.yaml'), docs.join('---\n'));
  await all;
  const seconds = (performance.now() - t0) / 1000;
  await c.stop();
  world.cleanup();
  row(`throughput of ${n} short Jobs (\`true\`), maxConcurrentJobs 16, end to end`, `${(n / seconds).toFixed(0)} jobs/s (${seconds.toFixed(2)} s)`, '—', true);
}

// 200 idle instances, each with an HTTP readiness probe every second against a server in this
// process: the controller's CPU, and how late probes start against their schedule (the prober's
// own figures from /metrics, over its recent launches). Monitoring off, so the probes are the load.
// The spec sets no CPU target here; most of the cost is the kernel's loopback TCP (connect, the
// request write, close), which any HTTP prober pays.
async function probes200(): Promise<void> {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const world = tempWorld();
  writeFileSync(join(world.dir, 'node.yaml'), 'apiVersion: tend/v1\nkind: Node\nmetadata: {name: local}\nspec:\n  monitor: {interval: 0s}\n');
  const c = await startController(world.dir, world.stateDir);
  const all = c.count((e) => e.object === 'process/probed' && e.reason === 'Ready', 200);
  const probe = `  probes: {readiness: {http: {url: "http://127.0.0.1:${port}/ready"}, period: 1s}}`;
  writeFileSync(join(world.dir, 'probed.yaml'), `${processYaml('probed', { replicas: 200 })}${probe}\n`);
  await all;
  await sleep(10_000);
  const pid = c.child.pid ?? 0;
  const windowMs = 20_000;
  const before = await probeDelay(world.stateDir);
  const cpu0 = cpuNs(pid);
  await sleep(windowMs);
  const pct = ((cpuNs(pid) - cpu0) / 1e6 / windowMs) * 100;
  const after = await probeDelay(world.stateDir);
  const rate = (after.count - before.count) / (windowMs / 1000);
  const perProbeUs = ((pct / 100) * 1e6) / rate;
  row(`controller CPU with 200 instances, each probed (HTTP) every second (${rate.toFixed(0)} probes/s)`, `${pct.toFixed(2)} % of one core, ${perProbeUs.toFixed(0)} µs per probe`, 'none in the spec; recorded', true);
  row('probe start vs schedule over the last 4,096 probes', `p50 ${ms(after.p50 * 1000)}, p99 ${ms(after.p99 * 1000)}, max ${ms(after.max * 1000)}`, 'p99 <= 50 ms', after.p99 * 1000 <= 50);
  await c.stop();
  world.cleanup();
  server.close();
}

// The tend_probe_delay_seconds summary of a running controller.
async function probeDelay(stateDir: string): Promise<{ p50: number; p99: number; max: number; count: number }> {
  const text = String((await callApi(stateDir, 'GET', '/metrics')).body);
  const value = (suffix: string): number => Number(new RegExp(`^tend_probe_delay_seconds${suffix} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { p50: value('\\{quantile="0.5"\\}'), p99: value('\\{quantile="0.99"\\}'), max: value('\\{quantile="1"\\}'), count: value('_count') };
}

const report = (figures: readonly Figure[]): void => {
  for (const f of figures) row(f.measure, f.value, f.target, f.ok);
};

const SECTIONS: Readonly<Record<string, () => Promise<void> | void>> = {
  realistic200: async () => report(await realistic200()),
  churn: async () => report(await churn()),
  pass: async () => {
    const pass = await noChangePass(10_000);
    row('no-change reconcile pass over 10,000 objects', `median ${ms(pass)}`, '<= 20 ms', pass <= 20);
  },
  validate: validate100,
  pools: async () => {
    const r = await benchPools();
    row('pool lease with an idle worker, over the Unix socket', `p50 ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)}`, 'p50 <= 2 ms', r.p50Ms <= 2);
    row('pool leases + releases per second, 10 workers, 10 clients', `${r.pairsPerSecond.toFixed(0)} /s`, 'none in the spec; recorded', true);
  },
  scheduler: schedulingPass,
  jobs: jobThroughput,
  save: saveToRunning,
  kill: killToReplacement,
  probes200,
  scale200: () => scale(200, { upMs: 1000, rssMb: 45, cpuPct: 0.1, stopMs: 300, monitor: '0s' }),
  monitor200: () => scale(200, { upMs: 1000, rssMb: 45, cpuPct: 3, monitor: '1s', cpuOnly: true }),
  scale500: () => scale(500, { upMs: 1000, rssMb: 120, monitor: '0s' }),
  scale1000: () => scale(1000, { upMs: 2000, rssMb: 120, cpuPct: 3, monitor: '1s' }),
  spawning: () => benchSpawning(row),
  dashboard: () => benchDashboard(row),
  scale: async () => {
    await benchScale(row, 200, 'files', false);
    await benchScale(row, 500, 'files', false);
    await benchScale(row, 5_000, 'files', true);
    await benchScale(row, 10_000, 'replicas', false);
    await benchScale(row, 10_000, 'files', true);
  },
  // The 5,000-file row alone (`npm run bench -- scale5000`).
  scale5000: () => benchScale(row, 5_000, 'files', false),
  // 10,000 programs, one file each, with a CLI request every 200 ms (`npm run bench -- scale10000`).
  scale10000: () => benchScaleCalls(row, 10_000, 'files'),
  sampling: () => {
    const pass = samplePassSteps(1000);
    const [p50, p90, p99, max] = pass.stepMs;
    const steps = `p50 ${ms(p50)}, p90 ${ms(p90)}, p99 ${ms(p99)}, max ${ms(max)} (whole pass ${ms(pass.wholeMs)} in ${pass.steps} steps)`;
    row('sampling pass over 1,000 idle instances: one turn of the event loop', steps, 'p50 <= 3 ms', p50 <= 3);
    const cost = prlimitCost();
    if (cost) row('spawn through prlimit (an fds limit) vs bare, to completion', `${ms(cost.wrappedMs)} vs ${ms(cost.bareMs)}`, 'reported', true);
  },
};

// `npm run bench -- save kill` runs only those sections.
async function main(): Promise<void> {
  process.stdout.write(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
  const chosen = process.argv.slice(2);
  for (const [name, section] of Object.entries(SECTIONS)) if (chosen.length === 0 || chosen.includes(name)) await section();
  const missed = rows.filter((r) => !r.ok).length;
  process.stdout.write(`\n${rows.length - missed}/${rows.length} rows meet their target\n`);
}

await main();
