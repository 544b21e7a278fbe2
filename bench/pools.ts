/**
 * Pool leases over the control socket against a real `tend up` with 10 `sleep` workers: the
 * latency of a lease when an idle worker is there, and leases+releases per second with 10 clients.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callApi } from '../src/api/client.ts';
import { percentile, sleep, startController, tempWorld } from './harness.ts';

/** What the pools section measured. */
export interface PoolBench {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly pairsPerSecond: number;
}

const POOL = ['apiVersion: tend/v1', 'kind: ProcessPool', 'metadata: {name: bench}', 'spec:', '  template: {command: ["sleep", "100000"]}', '  minReplicas: 10', '  maxReplicas: 10', ''].join('\n');

/** Runs the measurements; `leases` sequential leases for the latency, `seconds` of 10 clients for throughput. */
export async function benchPools(leases = 1000, seconds = 5): Promise<PoolBench> {
  const world = tempWorld();
  writeFileSync(join(world.dir, 'pool.yaml'), POOL);
  const c = await startController(world.dir, world.stateDir);
  try {
    await readyWorkers(world.stateDir, 10);
    const samples: number[] = [];
    for (let i = 0; i < leases + 100; i++) {
      const t0 = performance.now();
      const id = await leaseOnce(world.stateDir);
      if (i >= 100) samples.push(performance.now() - t0);
      await releaseOnce(world.stateDir, id);
    }
    let pairs = 0;
    const end = performance.now() + seconds * 1000;
    const client = async (): Promise<void> => {
      while (performance.now() < end) {
        await releaseOnce(world.stateDir, await leaseOnce(world.stateDir));
        pairs++;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 10 }, client));
    const elapsed = (performance.now() - t0) / 1000;
    return { p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), pairsPerSecond: pairs / elapsed };
  } finally {
    await c.stop();
    world.cleanup();
  }
}

async function readyWorkers(stateDir: string, n: number): Promise<void> {
  for (;;) {
    const { body } = await callApi(stateDir, 'GET', '/v1/objects/pool/bench');
    if ((body as { status?: { pool?: { ready: number } } }).status?.pool?.ready === n) return;
    await sleep(20);
  }
}

async function leaseOnce(stateDir: string): Promise<string> {
  const { status, body } = await callApi(stateDir, 'POST', '/v1/pools/bench/leases?timeout=10s');
  if (status !== 200) throw new Error(`lease failed: ${status} ${JSON.stringify(body)}`);
  return (body as { id: string }).id;
}

async function releaseOnce(stateDir: string, id: string): Promise<void> {
  const { status, body } = await callApi(stateDir, 'DELETE', `/v1/leases/${id}`);
  if (status !== 200) throw new Error(`release failed: ${status} ${JSON.stringify(body)}`);
}
