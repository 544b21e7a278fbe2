/** The controller's no-change pass, in process: n objects already converged, one full pass timed. */
import { createController } from '../src/controller/controller.ts';
import { createDryRunExecutor } from '../src/executor/dry-run.ts';
import type { ObservedInstance } from '../src/model/instance.ts';
import { isProcessObject, type ProcessObject } from '../src/model/object.ts';
import { validateManifestText } from '../src/manifest/validate.ts';
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

// One real manifest through the real pipeline, copied under n names.
const template = ((): ProcessObject => {
  const text = 'apiVersion: tend/v1\nkind: Process\nmetadata: {name: template}\nspec:\n  command: ["sleep", "3600"]\n';
  const result = validateManifestText(text, { file: 'all.yaml', dir: '/', uid: 0, gid: 0, readEnvFile: () => ({ ok: false, reason: 'missing', message: 'none' }) });
  const [object] = result.objects;
  if (!object || !isProcessObject(object)) throw new Error('the bench template does not validate');
  return object;
})();

function processObject(name: string): ProcessObject {
  return { ...template, name, key: `process/${name}`, contentHash: `content-${name}` };
}
