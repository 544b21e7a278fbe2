/**
 * The `scale` section of `npm run bench`: thousands of objects under one `tend up`. For each
 * workload (N programs one file each, or one object with `replicas: N`; monitoring at its
 * default): the time from `tend up` to every program alive, the latency of `GET /v1/objects` (what
 * `tend get` asks) sampled every 100 ms throughout, and the time from SIGTERM to the controller's
 * exit with every program stopped (checked in /proc). A second run sends SIGTERM half way through
 * the bring-up. `TEND_BENCH_PROFILE=DIR` runs the controller with `--cpu-prof` into DIR.
 */
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callApi, callApiBytes } from '../src/api/client.ts';
import { indentJson } from '../src/cli/render/json-indent.ts';
import { stateIdOf } from '../src/platform/state-dir.ts';
import { markedPids } from '../test/integration/harness.ts';
import { percentile, processYaml, sleep, startController, tempWorld, type Controller } from './harness.ts';
import type { RowSink } from './spawning.ts';

const ms = (n: number): string => `${n.toFixed(0)} ms`;
const SAMPLE_EVERY_MS = 100;

interface Latency {
  readonly p99: number;
  readonly max: number;
  readonly count: number;
  /** When the slowest request began, in ms after the API's first answer. */
  readonly worstAt: number;
}

const worst = (l: Latency): string => `p99 ${ms(l.p99)}, max ${ms(l.max)} (at +${(l.worstAt / 1000).toFixed(1)} s) over ${l.count}`;

/** How the N programs are written. */
type Layout = 'files' | 'replicas';

interface Run<L> {
  /** From starting `tend up` to its API's first answer. */
  readonly apiMs: number;
  readonly upMs: number;
  /** What the sampler measured during the bring-up. */
  readonly latency: L;
  readonly stopMs: number;
  readonly code: number;
  readonly left: number;
}

/** Requests made during a bring-up; `stop` ends them and says how long they took. */
type Sampler<L> = (c: Controller, n: number, layout: Layout) => { stop: () => Promise<L> };

/** The rows of one workload of `n` programs; `interrupt` also runs a bring-up cut by SIGTERM. */
export async function benchScale(row: RowSink, n: number, layout: Layout, interrupt: boolean): Promise<void> {
  const what = layout === 'files' ? `${n.toLocaleString('en')} programs, one file each` : `one object with replicas: ${n.toLocaleString('en')}`;
  const run = await bringUp(n, layout, false, sampleGets);
  const { get, table } = run.latency;
  row(`scale: bring-up of ${what}, from \`tend up\` to all alive`, ms(run.upMs), 'limited by forking (~1.15 ms a spawn)', true);
  row(`scale: ${what}: from \`tend up\` to the API's first answer`, ms(run.apiMs), '<= 1 s', run.apiMs <= 1000);
  row(`scale: GET /v1/objects during that bring-up, every ${SAMPLE_EVERY_MS} ms`, worst(get), 'max <= 1 s', get.max <= 1000);
  row(`scale: GET /v1/objects?view=summary (\`tend get\`'s table) during that bring-up`, worst(table), 'max <= 1 s', table.max <= 1000);
  row(`scale: SIGTERM -> exit with all ${what} stopped`, `${ms(run.stopMs)} (exit code ${run.code}, ${run.left} left)`, 'exit 0, none left', run.code === 0 && run.left === 0);
  if (!interrupt) return;
  const cut = await bringUp(n, layout, true, sampleGets);
  row(`scale: SIGTERM half way through the bring-up of ${what} -> exit`, `${ms(cut.stopMs)} (exit code ${cut.code}, ${cut.left} left)`, 'exit 0, none left', cut.code === 0 && cut.left === 0);
}

/**
 * The rows of a bring-up of `n` programs with a CLI request every {@link CALL_EVERY_MS} ms, in
 * turn what `tend get`, `get -o json`, `describe KIND/NAME`, `events` and `diff` ask: the p99
 * and max of each.
 */
export async function benchScaleCalls(row: RowSink, n: number, layout: Layout): Promise<void> {
  const what = layout === 'files' ? `${n.toLocaleString('en')} programs, one file each` : `one object with replicas: ${n.toLocaleString('en')}`;
  const run = await bringUp(n, layout, false, sampleCalls);
  row(`scale: bring-up of ${what}, from \`tend up\` to all alive`, ms(run.upMs), 'limited by forking (~1.15 ms a spawn)', true);
  row(`scale: ${what}: from \`tend up\` to the API's first answer`, ms(run.apiMs), '<= 1 s', run.apiMs <= 1000);
  for (const [call, latency] of Object.entries(run.latency)) {
    row(`scale: \`tend ${call}\` during that bring-up (a call every ${CALL_EVERY_MS} ms)`, worst(latency), 'max <= 1 s', latency.max <= 1000);
  }
  row(`scale: SIGTERM -> exit with all ${what} stopped`, `${ms(run.stopMs)} (exit code ${run.code}, ${run.left} left)`, 'exit 0, none left', run.code === 0 && run.left === 0);
}

async function bringUp<L>(n: number, layout: Layout, interrupt: boolean, sample: Sampler<L>): Promise<Run<L>> {
  const world = tempWorld();
  if (layout === 'files') for (let i = 0; i < n; i++) writeFileSync(join(world.dir, `p${i}.yaml`), processYaml(`p${i}`));
  else writeFileSync(join(world.dir, 'many.yaml'), processYaml('many', { replicas: n }));
  const profile = process.env.TEND_BENCH_PROFILE;
  const t0 = performance.now();
  const c = await startController(world.dir, world.stateDir, process.env, { nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [], stream: false });
  const apiMs = performance.now() - t0;
  const started = startedCounter(join(world.stateDir, 'events.jsonl'));
  const sampler = sample(c, n, layout);
  const target = interrupt ? Math.floor(n / 2) : n;
  while (started() < target) await sleep(20);
  const upMs = performance.now() - t0;
  const latency = await sampler.stop();
  const s0 = performance.now();
  const code = await c.stop();
  const stopMs = performance.now() - s0;
  const left = markedPids(stateIdOf(world.stateDir)).length;
  world.cleanup();
  return { apiMs, upMs, latency, stopMs, code, left };
}

const CALL_EVERY_MS = 200;

// `GET /v1/objects` and its summary view in turn, one after the other, each started at least
// SAMPLE_EVERY_MS after the last began.
function sampleGets(c: Controller): { stop: () => Promise<{ get: Latency; table: Latency }> } {
  const sampler = sampleInTurn(c, SAMPLE_EVERY_MS, [['get', () => '/v1/objects'], ['table', () => '/v1/objects?view=summary']]);
  return { stop: async () => {
    const { get, table } = await sampler.stop();
    return { get: get as Latency, table: table as Latency };
  } };
}

// What `tend get`, `get -o json`, `describe`, `events` and `diff` ask, in turn, each answer taken
// as that command takes it: `get -o json` indents the answer's bytes (src/cli/commands/get.ts),
// the others parse it. describe names a program picked at random.
function sampleCalls(c: Controller, n: number, layout: Layout): { stop: () => Promise<Record<string, Latency>> } {
  const described = (): string => (layout === 'files' ? `/v1/objects/process/p${Math.floor(Math.random() * n)}` : '/v1/objects/process/many');
  return sampleInTurn(c, CALL_EVERY_MS, [['get', () => '/v1/objects?view=summary'], ['get -o json', () => '/v1/objects', 'indent'], ['describe', described], ['events', () => '/v1/events?'], ['diff', () => '/v1/diff']]);
}

/** How a sampled call takes its answer: parsed (`callApi`), or its bytes indented as `tend get -o json` prints them. */
type Taking = 'parse' | 'indent';

async function take(stateDir: string, path: string, taking: Taking): Promise<void> {
  if (taking === 'parse') await callApi(stateDir, 'GET', path);
  else indentJson((await callApiBytes(stateDir, 'GET', path)).bytes);
}

// The requests of `calls` in turn, one after the other, each started at least `everyMs` after the
// last began; the latency of each.
function sampleInTurn(c: Controller, everyMs: number, calls: readonly (readonly [string, () => string, Taking?])[]): { stop: () => Promise<Record<string, Latency>> } {
  const samples = new Map<string, { took: number; at: number }[]>(calls.map(([name]) => [name, []]));
  const start = performance.now();
  let running = true;
  const loop = (async () => {
    for (let turn = 0; running; turn++) {
      const [name, path, taking = 'parse'] = calls[turn % calls.length] as readonly [string, () => string, Taking?];
      const t0 = performance.now();
      await take(c.stateDir, path(), taking);
      const took = performance.now() - t0;
      samples.get(name)?.push({ took, at: t0 - start });
      await sleep(Math.max(0, everyMs - took));
    }
  })();
  const latency = (values: { took: number; at: number }[]): Latency => {
    const slowest = values.reduce((a, b) => (b.took > a.took ? b : a), { took: -Infinity, at: NaN });
    return { p99: percentile(values.map((v) => v.took), 99), max: slowest.took, count: values.length, worstAt: slowest.at };
  };
  return {
    stop: async () => {
      running = false;
      await loop;
      return Object.fromEntries([...samples].map(([name, values]) => [name, latency(values)]));
    },
  };
}

// Counts `Started` events in the event log, reading only what was appended since the last look.
function startedCounter(path: string): () => number {
  let offset = 0;
  let count = 0;
  let tail = '';
  const buffer = Buffer.alloc(1 << 20);
  return () => {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return count;
    }
    try {
      for (let read = readSync(fd, buffer, 0, buffer.length, offset); read > 0; read = readSync(fd, buffer, 0, buffer.length, offset)) {
        offset += read;
        const text = tail + buffer.toString('utf8', 0, read);
        const cut = text.lastIndexOf('\n') + 1;
        count += (text.slice(0, cut).match(/"reason":"Started"/g) ?? []).length;
        tail = text.slice(cut);
      }
    } finally {
      closeSync(fd);
    }
    return count;
  };
}
