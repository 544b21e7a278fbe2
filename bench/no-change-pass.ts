/** The controller's no-change pass, in process: n objects already converged, one full pass timed. */
import { createController } from '../src/controller/controller.ts';
import { createDryRunExecutor } from '../src/executor/dry-run.ts';
import type { ObservedInstance } from '../src/model/instance.ts';
import type { ProcessObject } from '../src/model/object.ts';
import { systemClock } from '../src/platform/clock.ts';
import { percentile } from './harness.ts';

/** Median ms of a full no-change pass over `n` single-instance objects. */
export async function noChangePass(n: number): Promise<number> {
  const objects: ProcessObject[] = [];
  const observed = new Map<string, readonly ObservedInstance[]>();
  for (let i = 0; i < n; i++) {
    const object = processObject(`p${i}`);
    objects.push(object);
    observed.set(object.key, [{ id: `p${i}-0`, object: object.key, replica: 0, pid: 1000 + i, startTicks: 1, specHash: object.specHash, generation: 1, startedAt: 0, state: 'running' }]);
  }
  const executor = createDryRunExecutor(observed, systemClock);
  const controller = createController({ executor, clock: systemClock, events: { record: () => undefined }, pruneGraceMs: 300 });
  controller.applyLoad([{ file: 'all.yaml', ok: true, empty: false, objects }], 'bench');
  await controller.idle();
  const samples: number[] = [];
  for (let i = 0; i < Number(process.env.PASSES ?? 20); i++) {
    const t0 = performance.now();
    await controller.enqueueAll();
    await controller.idle();
    samples.push(performance.now() - t0);
  }
  if (executor.applied.length > 0) throw new Error(`a no-change pass applied ${executor.applied.length} actions`);
  controller.close();
  return percentile(samples, 50);
}

function processObject(name: string): ProcessObject {
  return {
    kind: 'Process',
    name,
    key: `process/${name}`,
    labels: {},
    source: { file: 'all.yaml', line: 1, col: 1, uid: 0, gid: 0 },
    spec: {
      command: ['sleep', '3600'],
      shell: false,
      workingDir: '/',
      env: {},
      secretEnv: [],
      replicas: 1,
      restartPolicy: 'Always',
      backoff: { strategy: 'exponential', initialDelayMs: 1000, maxDelayMs: 300_000, multiplier: 2, jitter: 0.1, resetAfterMs: 600_000 },
      maxRestarts: 0,
      stop: { signal: 'SIGTERM', gracePeriodMs: 10_000 },
      logs: { maxSizeBytes: 10 * 2 ** 20, maxFiles: 5 },
      startupTimeoutMs: 0,
      updateStrategy: { type: 'RollingUpdate', maxUnavailable: 1, maxSurge: 0 },
      dependsOn: [],
      priority: 20,
      raw: {},
    },
    specHash: 'hash',
    contentHash: `content-${name}`,
  };
}
