/**
 * `npm run soak [-- --minutes N]` (default 10): runs `tend up` on a small mixed workload (idle
 * sleepers, programs that crash every few hundred ms, a chatty logger) and reports, every 10 s
 * and at the end: controller RSS and CPU, restart latency (SIGKILL of an instance until the
 * controller's Started event for its replacement, whose pid is then checked in /proc), and the
 * growth of the event log and the program logs. The figure that matters is RSS growth after
 * warm-up: a leak shows as a steady climb.
 *
 * The restart latency once polled a scan of every process's environ in /proc every 1 ms: with a
 * few thousand processes on the machine one scan took 0.3-1 s, which was the figure's resolution,
 * and the polling took the CPU the controller needed to restart the program.
 */
import { spawn } from 'node:child_process';
import { callApi, streamApi } from '../../src/api/client.ts';
import type { TendEvent } from '../../src/model/event.ts';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BIN, alive, processManifest, removeWorld } from '../integration/harness.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' } } });
const minutes = Number(values.minutes);
const SAMPLE_MS = 10_000;
const TICK = 100; // clock ticks per second on Linux

const root = mkdtempSync(join(tmpdir(), 'tend-soak-'));
const dir = join(root, 'manifests');
const stateDir = join(root, 'state');
mkdirSync(dir);
for (let i = 0; i < 20; i++) writeFileSync(join(dir, `idle-${i}.yaml`), processManifest(`idle-${i}`, 'command: ["sleep", "100000"]', 'backoff: {strategy: fixed, initialDelay: "0", jitter: 0}'));
for (let i = 0; i < 5; i++) {
  writeFileSync(join(dir, `flap-${i}.yaml`), processManifest(`flap-${i}`, `command: ["sh", "-c", "sleep 0.${2 + i}; exit 1"]`, 'backoff: {strategy: fixed, initialDelay: 100ms, jitter: 0}'));
}
writeFileSync(join(dir, 'chatty.yaml'), processManifest('chatty', 'command: ["sh", "-c", "while true; do echo tick; sleep 0.05; done"]', 'logs: {maxSize: 1Mi, maxFiles: 2}'));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const controller = spawn(process.execPath, [BIN, 'up', '-d', dir, '--state-dir', stateDir], { stdio: ['ignore', 'ignore', 'inherit'] });
const pid = controller.pid ?? 0;

function rssKiB(): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}
function cpuTicks(): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
function bytesUnder(path: string): number {
  try {
    const info = statSync(path);
    if (!info.isDirectory()) return info.size;
    return readdirSync(path).reduce((sum, name) => sum + bytesUnder(join(path, name)), 0);
  } catch {
    return 0;
  }
}
// The pid the controller reports for `instance` of `key`.
async function instancePid(key: string, instance: string): Promise<number | undefined> {
  const { body } = await callApi(stateDir, 'GET', `/v1/objects/${key}`);
  return (body as { instances?: { id: string; pid: number | null }[] }).instances?.find((i) => i.id === instance)?.pid ?? undefined;
}

// Events of the controller as they come, for the waits below.
const waiters = new Set<(event: TendEvent) => void>();
function nextEvent(match: (event: TendEvent) => boolean, timeoutMs: number): Promise<TendEvent | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const waiter = (event: TendEvent): void => {
      if (match(event)) done(event);
    };
    const done = (event: TendEvent | undefined): void => {
      clearTimeout(timer);
      waiters.delete(waiter);
      resolve(event);
    };
    waiters.add(waiter);
  });
}

// SIGKILL one idle instance and time until the controller started its replacement (zero backoff).
async function restartLatencyMs(n: number): Promise<number | undefined> {
  const key = `process/idle-${n % 20}`;
  const instance = `idle-${n % 20}-0`;
  const old = await instancePid(key, instance);
  if (old === undefined || old === null) return undefined;
  const started = nextEvent((e) => e.object === key && e.instance === instance && (e.reason === 'Started' || e.reason === 'Restarted'), 5_000);
  const killedAt = performance.now();
  process.kill(old, 'SIGKILL');
  const event = await started;
  const latency = performance.now() - killedAt;
  const pid = Number(/pid (\d+)/.exec(event?.message ?? '')?.[1] ?? 0);
  return event && pid !== old && alive(pid) ? latency : undefined;
}

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

async function main(): Promise<void> {
  const ready = (): boolean => {
    try {
      return readdirSync(stateDir).includes('tend.sock');
    } catch {
      return false;
    }
  };
  while (!ready()) await sleep(100);
  void streamApi(stateDir, '/v1/events?follow=1', (data) => {
    for (const waiter of [...waiters]) waiter(data as TendEvent);
  }).catch(() => undefined);
  await sleep(3_000);
  const started = Date.now();
  const rows: { t: number; rss: number; cpu: number; logs: number; events: number }[] = [];
  const latencies: number[] = [];
  let lastTicks = cpuTicks();
  let lastAt = Date.now();
  process.stdout.write(`soak: ${minutes} min, controller pid ${pid}, state ${stateDir}\n  t(s)  RSS(MiB)  CPU(%)  events.jsonl  logs\n`);
  for (let n = 0; Date.now() - started < minutes * 60_000; n++) {
    const latency = await restartLatencyMs(n);
    if (latency !== undefined) latencies.push(latency);
    await sleep(SAMPLE_MS);
    const ticks = cpuTicks();
    const cpu = ((ticks - lastTicks) / TICK / ((Date.now() - lastAt) / 1000)) * 100;
    lastTicks = ticks;
    lastAt = Date.now();
    const row = { t: (Date.now() - started) / 1000, rss: rssKiB() / 1024, cpu, logs: bytesUnder(join(stateDir, 'logs')), events: bytesUnder(join(stateDir, 'events.jsonl')) + bytesUnder(join(stateDir, 'events.jsonl.1')) };
    rows.push(row);
    process.stdout.write(`  ${row.t.toFixed(0).padStart(4)}  ${row.rss.toFixed(1).padStart(8)}  ${row.cpu.toFixed(2).padStart(6)}  ${String(row.events).padStart(12)}  ${row.logs}\n`);
  }
  const warm = rows[Math.min(rows.length - 1, Math.max(0, Math.floor(rows.length / 5)))] ?? rows[0];
  const last = rows[rows.length - 1];
  if (warm && last) {
    const hours = (last.t - warm.t) / 3600 || 1;
    // Medians of a window after warm-up and of the last one, so one sample taken at a GC low or
    // high cannot make the figure.
    const span = Math.max(1, Math.floor(rows.length / 10));
    const start = rows.indexOf(warm);
    const early = quantile(rows.slice(start, start + span).map((r) => r.rss), 0.5);
    const late = quantile(rows.slice(-span).map((r) => r.rss), 0.5);
    process.stdout.write(`\nRSS after warm-up ${early.toFixed(1)} MiB -> ${late.toFixed(1)} MiB at the end (medians of ${span} samples each; ${(((late - early) / early) * 100).toFixed(1)} % over ${((last.t - warm.t) / 60).toFixed(1)} min)\n`);
    process.stdout.write(`CPU mean ${(rows.reduce((s, r) => s + r.cpu, 0) / rows.length).toFixed(2)} % of one core\n`);
    process.stdout.write(`restart latency (SIGKILL -> the controller's Started event for the replacement, its pid alive in /proc): p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms over ${latencies.length} kills\n`);
    process.stdout.write(`event log growth ${((last.events - warm.events) / 1024 / hours).toFixed(1)} KiB/h; program logs ${(last.logs / 1024 / 1024).toFixed(1)} MiB (rotated at 1 MiB x 2 for the chatty one)\n`);
  }
}

try {
  await main();
} finally {
  controller.kill('SIGTERM');
  await new Promise((resolve) => controller.once('exit', resolve));
  await removeWorld(root, stateDir);
}
