/** The executor contract against the local executor, with real processes in a temp state dir. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts';
import { systemClock } from '../../src/platform/clock.ts';
import { runExecutorContract } from './contract.ts';

runExecutorContract({
  async create() {
    const stateDir = await mkdtemp(join(tmpdir(), 'tend-local-'));
    const executor = createLocalExecutor({ stateDir, stateId: `contract-${process.pid}`, clock: systemClock });
    // A program's shim writes its exit file into the state dir just after the program ends: the
    // folder goes once every end has been seen, and a late write is retried over.
    const cleanup = async (): Promise<void> => {
      for (const instance of executor.snapshot()) {
        if (instance.state !== 'exited') killGroup(instance.pid);
      }
      const deadline = Date.now() + 10_000;
      while (executor.snapshot().some((i) => i.state !== 'exited') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await executor.close();
      // The killed programs' shims may still be writing their exit files into run/.
      await rm(stateDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 25 });
    };
    return { executor, cleanup };
  },
});

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
