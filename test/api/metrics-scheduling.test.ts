/** `/metrics` carries the scheduler's queue and use of capacity when a view has them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMetrics } from '../../src/api/metrics.ts';
import type { ObjectView } from '../../src/controller/status.ts';

const view = (scheduling?: ObjectView['status']['scheduling']): ObjectView => ({
  kind: 'Node', name: 'local', key: 'node/local', labels: {}, generation: 1, revision: 'r', source: null,
  status: { phase: 'Active', reason: 'Scheduling', replicas: 0, readyReplicas: 0, restarts: 0, failures: [], alerts: [], recovery: { failures: 0, recoveries: 0, recoveryRate: null, meanTimeToRecoverMs: null }, ...(scheduling ? { scheduling } : {}) },
  instances: [],
});

test('scheduler gauges: queued, running, suspended, and capacity, use and utilization per resource', () => {
  const body = renderMetrics([view({ queued: 2, running: 1, suspended: 1, capacity: { cpu: 2, memory: 1024 }, used: { cpu: 1, memory: 512 }, utilization: { cpu: 0.5, memory: 0.5 } })]);
  assert.match(body, /^tend_scheduler_queued 2$/m);
  assert.match(body, /^tend_scheduler_suspended 1$/m);
  assert.match(body, /^tend_scheduler_used\{resource="memory"\} 512$/m);
  assert.match(body, /^tend_scheduler_utilization_ratio\{resource="cpu"\} 0\.5$/m);
  assert.doesNotMatch(renderMetrics([view()]), /tend_scheduler_/);
});
