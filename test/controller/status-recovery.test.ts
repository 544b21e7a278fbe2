/**
 * The status view of recovery: a fallback instance is shown as such (not counted ready for the
 * object), and the fallback program's secret env values are redacted like the instance's own.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildStatus, REDACTED } from '../../src/controller/status.ts';
import { exited, processObject, running } from '../planner/fixtures.ts';

test('a fallback instance shows fallback: true and phase Running, and its secret env is redacted', () => {
  const fallback = { command: ['maint'], shell: false, workingDir: '/srv', env: { TOKEN: 's3cret', MODE: 'maint' }, secretEnv: ['TOKEN'], hash: 'h-fb' };
  const web = processObject('web', { replicas: 1, env: { TOKEN: 's3cret' }, secretEnv: ['TOKEN'], recovery: { strategy: 'fallback', fallback } });
  const instances = [exited(0), running(0, { id: 'web-0.fallback', fallback: true, specHash: 'h-fb', pid: 900 })];
  const [view] = buildStatus({
    desired: { objects: new Map([[web.key, web]]), revision: 'r' },
    observed: new Map([[web.key, instances]]),
    history: new Map(),
    plan: [],
    now: 0,
  });
  const shown = view?.instances.find((i) => i.id === 'web-0.fallback');
  assert.deepEqual([shown?.phase, shown?.reason, shown?.fallback, shown?.pid], ['Running', 'CircuitFallback', true, 900]);
  assert.equal(view?.status.readyReplicas, 0, 'a fallback does not make the object ready');
  const spec = JSON.stringify(view?.spec);
  assert.ok(!spec.includes('s3cret'), spec);
  assert.deepEqual((view?.spec?.recovery as { fallback: { env: unknown } }).fallback.env, { TOKEN: REDACTED, MODE: 'maint' });
  assert.ok(!spec.includes('h-fb'));
});
