/**
 * In process: the sampling pass over 1,000 idle instances (real `sleep` processes, each the
 * leader of its own group, read from the real /proc), taken whole and in steps as the sampler
 * takes it; and the cost of spawning through `prlimit` (what an `fds` limit adds to a restart).
 */
import { spawn, spawnSync } from 'node:child_process';
import { procSource } from '../src/monitor/proc-reader.ts';
import { beginSample, NO_SAMPLES, sampleOnce, type SampledInstance } from '../src/monitor/sample-pass.ts';
import { STEP_PIDS } from '../src/monitor/sampler.ts';
import { readProcStat } from '../src/executor/local/proc-stat.ts';
import { percentile } from './harness.ts';

/** Median whole pass, and the median, p90, p99 and longest step, in ms, over 20 passes after 3 to warm up. */
export function samplePassSteps(n: number): { readonly wholeMs: number; readonly stepMs: readonly [number, number, number, number]; readonly steps: number } {
  const children = Array.from({ length: n }, () => spawn('sleep', ['3600'], { detached: true, stdio: 'ignore' }));
  try {
    const instances: SampledInstance[] = children.map((c, i) => ({ object: 'process/bench', id: `bench-${i}`, pid: c.pid ?? 0, startTicks: readProcStat(c.pid ?? 0)?.startTicks ?? 0 }));
    let state = NO_SAMPLES;
    const wholes: number[] = [];
    const stepTimes: number[] = [];
    let steps = 0;
    for (let i = 0; i < 23; i++) {
      const t0 = performance.now();
      state = sampleOnce(procSource, instances, state);
      if (i >= 3) wholes.push(performance.now() - t0);
      // The first turn lists /proc as well, as the sampler's first turn does.
      let s0 = performance.now();
      const pass = beginSample(procSource, instances, state);
      for (steps = 1; ; steps++) {
        if (steps > 1) s0 = performance.now();
        const done = pass.step(STEP_PIDS);
        if (i >= 3) stepTimes.push(performance.now() - s0);
        if (done) {
          state = done;
          break;
        }
      }
    }
    return { wholeMs: percentile(wholes, 50), stepMs: [percentile(stepTimes, 50), percentile(stepTimes, 90), percentile(stepTimes, 99), Math.max(...stepTimes)], steps };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    procSource.retain(new Set());
  }
}

/** Median ms to run `true` to completion, bare and through `prlimit --nofile`, 100 runs each. */
export function prlimitCost(): { readonly bareMs: number; readonly wrappedMs: number } | undefined {
  if (spawnSync('prlimit', ['--version']).status !== 0) return undefined;
  const time = (file: string, args: string[]): number => {
    const samples = Array.from({ length: 110 }, () => {
      const t0 = performance.now();
      spawnSync(file, args);
      return performance.now() - t0;
    }).slice(10);
    return percentile(samples, 50);
  };
  return { bareMs: time('true', []), wrappedMs: time('prlimit', ['--nofile=64:64', '--', 'true']) };
}
