/**
 * `npm run bench -- dashboard`: the web dashboard against a controller with 1,000 instances (8
 * objects of 100 replicas, 200 of one), plus a pool, queued Jobs and a Node, in real chromium.
 * Page load (navigation start to every object in the table; to the first chart of an object
 * page), the time a burst of 100 SIGKILLed instances takes to show, the page's main-thread busy
 * time (CDP Performance.getMetrics) and the controller's CPU with no browser, the overview open,
 * an object page open, and after the browser is gone. With TEND_BENCH_SCREENSHOTS=DIR it also
 * writes the PNGs docs/ shows.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import puppeteer, { type Browser, type CDPSession, type Page } from 'puppeteer-core';
import { callApi } from '../src/api/client.ts';
import { cpuNs, sleep, startController, tempWorld, type Controller } from './harness.ts';
import type { RowSink } from './spawning.ts';

const CHROMIUM = '/usr/bin/chromium';
const BIG = 8;
const REPLICAS = 100;
const SMALL = 200;
const WINDOW_MS = 30_000;
const VIEWPORT = { width: 1280, height: 800 };

// What the functions run inside the page use of it (the project compiles without the DOM library).
declare const document: { querySelectorAll(selector: string): { length: number }; querySelector(selector: string): { textContent: string | null } | null };
declare const window: Record<string, unknown>;

interface ApiObject {
  readonly key: string;
  readonly instances: readonly { pid: number | null }[];
  readonly status: { readyReplicas: number; restarts: number };
}

/** Runs the section, reporting each figure through `row`. */
export async function benchDashboard(row: RowSink): Promise<void> {
  const world = tempWorld();
  writeWorld(world.dir);
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const c = await startController(world.dir, world.stateDir, process.env, { args: ['--quiet', '--listen', `127.0.0.1:${port}`] });
  const t0 = performance.now();
  const objects = await converged(world.stateDir);
  row(`dashboard world up: ${objects.length} objects, ${instanceCount(objects)} instances`, `${((performance.now() - t0) / 1000).toFixed(1)} s`, 'reported', true);
  await sleep(15_000);
  const pid = c.child.pid ?? 0;
  const idle = await cpuOver(pid);
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], headless: true });
  const base = `http://127.0.0.1:${port}/#token=${readToken(world.stateDir)}`;
  try {
    await pageLoads(browser, base, objects.length, row);
    const overview = await livePage(browser, base);
    const overviewCpu = await cpuOver(pid);
    const overviewBusy = await busySince(overview);
    const burst = await restartBurst(c, overview.page, world.stateDir);
    await overview.page.close();
    const detail = await livePage(browser, `${base}&object=process/big-0`);
    const detailCpu = await cpuOver(pid);
    const detailBusy = await busySince(detail);
    await detail.page.close();
    await browser.close();
    await sleep(2_000);
    const after = await cpuOver(pid);
    report(row, { idle, overviewCpu, detailCpu, after, overviewBusy, detailBusy, burst });
    if (process.env.TEND_BENCH_SCREENSHOTS) await shots(process.env.TEND_BENCH_SCREENSHOTS, base);
  } finally {
    if (browser.connected) await browser.close();
    await c.stop();
    world.cleanup();
  }
}

// 8 x 100 replicas that say hello on stdout (for the log tail), 200 single `sleep`s, a pool, a
// Node with room for two of six Jobs (the scheduler's queue and the plan's waits).
function writeWorld(dir: string): void {
  const doc = (kind: string, name: string, spec: string[]): string => ['apiVersion: tend/v1', `kind: ${kind}`, `metadata: {name: ${name}, labels: {tier: ${kind === 'Process' ? (name.startsWith('big') ? 'web' : 'batch') : 'ops'}}}`, 'spec:', ...spec.map((l) => `  ${l}`), ''].join('\n');
  for (let i = 0; i < BIG; i++) {
    writeFileSync(join(dir, `big-${i}.yaml`), doc('Process', `big-${i}`, ['command: ["sh", "-c", "echo replica $TEND_INSTANCE listening on port $((8000 + TEND_REPLICA)); exec sleep 3600"]', `replicas: ${REPLICAS}`, 'backoff: {initialDelay: 0s, jitter: 0}', 'stop: {gracePeriod: 5s}']));
  }
  for (let i = 0; i < SMALL; i++) writeFileSync(join(dir, `one-${String(i).padStart(3, '0')}.yaml`), doc('Process', `one-${String(i).padStart(3, '0')}`, ['command: ["sleep", "3600"]', 'stop: {gracePeriod: 5s}']));
  writeFileSync(join(dir, 'node.yaml'), doc('Node', 'local', ['capacity: {cpu: 2}', 'maxConcurrentJobs: 4']));
  writeFileSync(join(dir, 'pool.yaml'), doc('ProcessPool', 'render', ['template: {command: ["sleep", "3600"]}', 'minReplicas: 3', 'maxReplicas: 10']));
  const jobs = Array.from({ length: 6 }, (_, i) => doc('Job', `report-${i}`, ['command: ["sleep", "3600"]', `priority: ${['high', 'normal', 'low'][i % 3] ?? 'normal'}`, 'resources: {requests: {cpu: 1}}']));
  writeFileSync(join(dir, 'jobs.yaml'), jobs.join('---\n'));
}

async function objectsOf(stateDir: string): Promise<ApiObject[]> {
  return ((await callApi(stateDir, 'GET', '/v1/objects')).body as { items: ApiObject[] }).items;
}

const instanceCount = (objects: readonly ApiObject[]): number => objects.reduce((n, o) => n + o.instances.filter((i) => i.pid !== null).length, 0);

// Until every Process replica runs (the pool and the two admitted Jobs come along).
async function converged(stateDir: string): Promise<ApiObject[]> {
  const want = BIG * REPLICAS + SMALL;
  for (;;) {
    const objects = await objectsOf(stateDir);
    const ready = objects.filter((o) => o.key.startsWith('process/')).reduce((n, o) => n + o.status.readyReplicas, 0);
    if (ready >= want) return objects;
    await sleep(500);
  }
}

// The token file `tend up --listen` created (mode 0600, this user's).
function readToken(stateDir: string): string {
  return readFileSync(join(stateDir, 'token'), 'utf8').trim();
}

/** CPU of `pid` over {@link WINDOW_MS}, in percent of one core. */
async function cpuOver(pid: number): Promise<number> {
  const before = cpuNs(pid);
  await sleep(WINDOW_MS);
  return ((cpuNs(pid) - before) / 1e6 / WINDOW_MS) * 100;
}

// Navigation start to every object row, and to the first chart of an object page; 3 loads each,
// median.
async function pageLoads(browser: Browser, base: string, objects: number, row: RowSink): Promise<void> {
  const table: number[] = [];
  const chart: number[] = [];
  for (let i = 0; i < 3; i++) {
    table.push(await timeTo(browser, base, `tr[data-key]`, objects));
    chart.push(await timeTo(browser, `${base}&object=process/big-0`, '#chart-cpu .uplot canvas', 1));
  }
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[1] ?? NaN;
  row(`dashboard load, navigation start -> all ${objects} objects in the table (median of 3)`, `${median(table).toFixed(0)} ms (${table.map((v) => v.toFixed(0)).join(', ')})`, '<= 1500 ms', median(table) <= 1500);
  row('dashboard load, navigation start -> first chart of a 100-replica object page (median of 3)', `${median(chart).toFixed(0)} ms (${chart.map((v) => v.toFixed(0)).join(', ')})`, '<= 1500 ms', median(chart) <= 1500);
}

// The page notes when `selector` first matches `count` elements, in ms since its navigation start.
async function timeTo(browser: Browser, url: string, selector: string, count: number): Promise<number> {
  const page = await browser.newPage();
  await page.setViewport(VIEWPORT);
  // Source text, not a function: tsx's helpers would not exist inside the page.
  await page.evaluateOnNewDocument(`
    const check = () => {
      if (window.__seenAt === undefined && document.querySelectorAll(${JSON.stringify(selector)}).length >= ${count}) window.__seenAt = performance.now();
    };
    window.addEventListener('DOMContentLoaded', () => new MutationObserver(check).observe(document, { childList: true, subtree: true }));
  `);
  await page.goto(url);
  const handle = await page.waitForFunction(() => window.__seenAt, { timeout: 60_000 });
  const at = Number(await handle.jsonValue());
  await page.close();
  return at;
}

interface Live extends Counters {
  readonly page: Page;
  readonly cdp: CDPSession;
}

// A page that has loaded and follows the event stream, with its CPU counters as of now.
async function livePage(browser: Browser, url: string): Promise<Live> {
  const page = await browser.newPage();
  await page.setViewport(VIEWPORT);
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#live-text')?.textContent === 'live' && document.querySelectorAll('tr[data-key]').length > 0, { timeout: 60_000 });
  await sleep(2_000);
  const cdp = await page.createCDPSession();
  await cdp.send('Performance.enable');
  return { page, cdp, ...(await counters(cdp)) };
}

interface Counters {
  readonly task: number;
  readonly script: number;
  readonly layout: number;
  readonly style: number;
}

// The page's main-thread totals so far, in seconds.
async function counters(cdp: CDPSession): Promise<Counters> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const value = (name: string): number => metrics.find((m) => m.name === name)?.value ?? 0;
  return { task: value('TaskDuration'), script: value('ScriptDuration'), layout: value('LayoutDuration'), style: value('RecalcStyleDuration') };
}

// Main-thread busy time in ms per second since the page went live (the controller's CPU window).
async function busySince(live: Live): Promise<Counters> {
  const now = await counters(live.cdp);
  const seconds = WINDOW_MS / 1000 + 2;
  const per = (k: keyof Counters): number => ((now[k] - live[k]) * 1000) / seconds;
  return { task: per('task'), script: per('script'), layout: per('layout'), style: per('style') };
}

interface Burst {
  readonly controllerMs: number;
  readonly pageMs: number;
  readonly busyTask: number;
}

// SIGKILLs the 100 instances of big-2 at once; the time until the controller has restarted all
// of them (their Started events) and until the overview shows all 100 restarts.
async function restartBurst(c: Controller, page: Page, stateDir: string): Promise<Burst> {
  const big = (await objectsOf(stateDir)).find((o) => o.key === 'process/big-2');
  const pids = (big?.instances ?? []).flatMap((i) => (i.pid === null ? [] : [i.pid]));
  const before = big?.status.restarts ?? 0;
  const cdp = await page.createCDPSession();
  await cdp.send('Performance.enable');
  const busy0 = await counters(cdp);
  const restarted = c.count((e) => e.object === 'process/big-2' && e.reason === 'Started', pids.length);
  const shown = page.waitForFunction((n: number) => (Number(document.querySelector('tr[data-key="process/big-2"] td.restarts')?.textContent) >= n ? Date.now() : false), { timeout: 120_000, polling: 10 }, before + pids.length);
  const killedAt = Date.now();
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  await restarted;
  const controllerMs = Date.now() - killedAt;
  const pageMs = Number(await (await shown).jsonValue()) - killedAt;
  const busy1 = await counters(cdp);
  return { controllerMs, pageMs, busyTask: (busy1.task - busy0.task) * 1000 };
}

interface Figures {
  readonly idle: number;
  readonly overviewCpu: number;
  readonly detailCpu: number;
  readonly after: number;
  readonly overviewBusy: Counters;
  readonly detailBusy: Counters;
  readonly burst: Burst;
}

function report(row: RowSink, f: Figures): void {
  const pct = (v: number): string => `${v.toFixed(2)} % of one core`;
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  row('controller CPU, 1,000 instances, no browser connected (30 s)', pct(f.idle), '<= 3 % (the 1,000-instance row)', f.idle <= 3);
  row('controller CPU, dashboard open on the overview (30 s)', `${pct(f.overviewCpu)} (+${(f.overviewCpu - f.idle).toFixed(2)})`, '<= +1 % over no browser', f.overviewCpu - f.idle <= 1);
  row('controller CPU, dashboard open on a 100-replica object page (30 s)', `${pct(f.detailCpu)} (+${(f.detailCpu - f.idle).toFixed(2)})`, '<= +1 % over no browser', f.detailCpu - f.idle <= 1);
  row('controller CPU after the browser closed (30 s)', `${pct(f.after)} (${(f.after - f.idle >= 0 ? '+' : '')}${(f.after - f.idle).toFixed(2)})`, '<= +0.2 % over no browser', f.after - f.idle <= 0.2);
  row('burst of 100 SIGKILLed instances: all restarted (controller) / all shown on the page', `${f.burst.controllerMs} ms / ${f.burst.pageMs} ms (page main thread busy ${f.burst.busyTask.toFixed(0)} ms)`, 'page <= controller + 1 s', f.burst.pageMs <= f.burst.controllerMs + 1000);
  const busy = (b: Counters): string => `${b.task.toFixed(1)} ms/s busy (script ${b.script.toFixed(1)}, style ${b.style.toFixed(1)}, layout ${b.layout.toFixed(1)} ms/s)`;
  row('page main thread while live, overview', busy(f.overviewBusy), '<= 50 ms/s', f.overviewBusy.task <= 50);
  row('page main thread while live, object page', busy(f.detailBusy), '<= 50 ms/s', f.detailBusy.task <= 50);
  row('machine load during the dashboard section (1, 5, 15 min)', load, 'reported', true);
}

// PNGs for the docs: overview, object page, pools, scheduler, plan; each from a fresh page (a
// link that differs only in its fragment would not load the page again).
async function shots(out: string, base: string): Promise<void> {
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], headless: true });
  const shot = async (url: string, ready: string, file: string): Promise<void> => {
    const page = await browser.newPage();
    await page.setViewport(VIEWPORT);
    await page.goto(url);
    await page.waitForSelector(ready, { timeout: 30_000 });
    await sleep(1_500);
    await page.screenshot({ path: join(out, file) });
    await page.close();
  };
  try {
    await shot(base, 'tr[data-key="process/one-199"]', 'dashboard-overview.png');
    await shot(`${base}&object=process/big-2`, '#chart-cpu .uplot canvas', 'dashboard-object.png');
    await shot(`${base}&tab=pools`, 'tr[data-key="pool/render"]', 'dashboard-pools.png');
    await shot(`${base}&tab=scheduler`, '#view table', 'dashboard-scheduler.png');
    await shot(`${base}&tab=plan`, '#view table', 'dashboard-plan.png');
  } finally {
    await browser.close();
  }
}
