/** Which running instances the prober is handed after each change: only those with probes. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ProbeSpec } from '../../src/model/health.ts';
import { probeTargets } from '../../src/monitor/prober.ts';
import { processObject, running } from '../planner/fixtures.ts';

const readiness: ProbeSpec = { check: { type: 'tcp', host: '127.0.0.1', port: 1 }, initialDelayMs: 0, periodMs: 1000, timeoutMs: 100, successThreshold: 1, failureThreshold: 2 };

void it('hands the prober the running instances of probed objects, and nothing for the others', () => {
  const probed = processObject('api', { probes: { readiness } });
  const plain = processObject('web');
  const desired = { objects: new Map([[probed.key, probed], [plain.key, plain]]), revision: 'r' };
  const instances = [running(0, {}, 'api'), running(1, { state: 'exited' }, 'api'), running(0, {}, 'web'), running(1, {}, 'web')];
  const targets = probeTargets(desired, instances);
  assert.deepEqual(targets.map((t) => t.instance), ['api-0']);
  assert.equal(targets[0]?.spec, probed.spec);
});
