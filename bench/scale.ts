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
import { callApi } from '../src/api/client.ts';
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
}

/** How the N programs are written. */
type Layout = 'files' | 'replicas';

interface Run {
  /** From starting `tend up` to its API's first answer. */
  readonly apiMs: number;
  readonly upMs: number;
  readonly get: Latency;
  /** `GET /v1/objects?view=summary`, what `tend get`'s table asks. */
  readonly table: Latency;
  readonly stopMs: number;
  readonly code: number;
  readonly left: number;
}

/** The rows of one workload of `n` programs; `interrupt` also runs a bring-up cut by SIGTERM. */
export async function benchScale(row: RowSink, n: number, layout: Layout, interrupt: boolean): Promise<void> {
  const what = layout === 'files' ? `${n.toLocaleString('en')} programs, one file each` : `one object with replicas: ${n.toLocaleString('en')}`;
  const run = await bringUp(n, layout, false);
  row(`scale: bring-up of ${what}, from \`tend up\` to all alive`, ms(run.upMs), 'limited by forking (~1.15 ms a spawn)', true);
  row(`scale: ${what}: from \`tend up\` to the API's first answer`, ms(run.apiMs), '<= 1 s', run.apiMs <= 1000);
  row(`scale: GET /v1/objects during that bring-up, every ${SAMPLE_EVERY_MS} ms`, `p99 ${ms(run.get.p99)}, max ${ms(run.get.max)} over ${run.get.count}`, 'max <= 1 s', run.get.max <= 1000);
  row(`scale: GET /v1/objects?view=summary (\`tend get\`'s table) during that bring-up`, `p99 ${ms(run.table.p99)}, max ${ms(run.table.max)} over ${run.table.count}`, 'max <= 1 s', run.table.max <= 1000);
  row(`scale: SIGTERM -> exit with all ${what} stopped`, `${ms(run.stopMs)} (exit code ${run.code}, ${run.left} left)`, 'exit 0, none left', run.code === 0 && run.left === 0);
  if (!interrupt) return;
  const cut = await bringUp(n, layout, true);
  row(`scale: SIGTERM half way through the bring-up of ${what} -> exit`, `${ms(cut.stopMs)} (exit code ${cut.code}, ${cut.left} left)`, 'exit 0, none left', cut.code === 0 && cut.left === 0);
}

async function bringUp(n: number, layout: Layout, interrupt: boolean): Promise<Run> {
  const world = tempWorld();
  if (layout === 'files') for (let i = 0; i < n; i++) writeFileSync(join(world.dir, `p${i}.yaml`), processYaml(`p${i}`));
  else writeFileSync(join(world.dir, 'many.yaml'), processYaml('many', { replicas: n }));
  const profile = process.env.TEND_BENCH_PROFILE;
  const t0 = performance.now();
  const c = await startController(world.dir, world.stateDir, process.env, { nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [], stream: false });
  const apiMs = performance.now() - t0;
  const started = startedCounter(join(world.stateDir, 'events.jsonl'));
  const sampler = sampleGets(c);
  const target = interrupt ? Math.floor(n / 2) : n;
  while (started() < target) await sleep(20);
  const upMs = performance.now() - t0;
  const { get, table } = await sampler.stop();
  const s0 = performance.now();
  const code = await c.stop();
  const stopMs = performance.now() - s0;
  const left = markedPids(stateIdOf(world.stateDir)).length;
  world.cleanup();
  return { apiMs, upMs, get, table, stopMs, code, left };
}

// `GET /v1/objects` and its summary view in turn, one after the other, each started at least
// SAMPLE_EVERY_MS after the last began.
function sampleGets(c: Controller): { stop: () => Promise<{ get: Latency; table: Latency }> } {
  const full: number[] = [];
  const summary: number[] = [];
  let running = true;
  const loop = (async () => {
    for (let turn = 0; running; turn++) {
      const t0 = performance.now();
      await callApi(c.stateDir, 'GET', turn % 2 === 0 ? '/v1/objects' : '/v1/objects?view=summary');
      const took = performance.now() - t0;
      (turn % 2 === 0 ? full : summary).push(took);
      await sleep(Math.max(0, SAMPLE_EVERY_MS - took));
    }
  })();
  const latency = (samples: number[]): Latency => ({ p99: percentile(samples, 99), max: Math.max(...samples), count: samples.length });
  return {
    stop: async () => {
      running = false;
      await loop;
      return { get: latency(full), table: latency(summary) };
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
