/** The executor contract against the dry-run executor, plus its record of applied actions. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createDryRunExecutor } from '../../src/executor/dry-run.ts';
import { makeSpec, runExecutorContract, startAction } from './contract.ts';

runExecutorContract({
  create: () => ({ executor: createDryRunExecutor() }),
  skip: { 'spawn-error': 'the dry-run executor spawns nothing, so nothing can fail to start' },
});

void it('dry-run records applied actions and simulates exits', async () => {
  const executor = createDryRunExecutor();
  const start = startAction('process/dry', makeSpec(['true']));
  await executor.apply(start);
  executor.exit(start.object, start.instance, { code: 3, signal: null });
  const [instance] = (await executor.observe()).get(start.object) ?? [];
  assert.deepEqual(executor.applied, [start]);
  assert.equal(instance?.exit?.code, 3);
  assert.equal(instance?.exit?.requested, false);
});
