/** Restart policy × exit kind, and what counts as a failed exit. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ExitInfo } from '../../src/model/instance.ts';
import type { RestartPolicy } from '../../src/model/object.ts';
import { isFailedExit, shouldRestart } from '../../src/planner/restart-policy.ts';

const exit = (patch: Partial<ExitInfo>): ExitInfo => ({ code: 0, signal: null, at: 0, reason: 'Exited', requested: false, ...patch });

const EXITS: readonly { name: string; exit: ExitInfo; failed: boolean }[] = [
  { name: 'exit 0', exit: exit({}), failed: false },
  { name: 'exit 1', exit: exit({ code: 1 }), failed: true },
  { name: 'SIGKILL', exit: exit({ code: null, signal: 'SIGKILL' }), failed: true },
  { name: 'Lost', exit: exit({ code: null, reason: 'Lost' }), failed: true },
  { name: 'SpawnError', exit: exit({ code: null, reason: 'SpawnError' }), failed: true },
];

const RESTARTS: Readonly<Record<RestartPolicy, readonly boolean[]>> = {
  //             exit 0  exit 1 SIGKILL Lost  SpawnError
  Always: [true, true, true, true, true],
  UnlessStopped: [true, true, true, true, true],
  OnFailure: [false, true, true, true, true],
  Never: [false, false, false, false, false],
};

void describe('shouldRestart', () => {
  for (const [policy, expected] of Object.entries(RESTARTS)) {
    void it(policy, () => {
      assert.deepEqual(
        EXITS.map((e) => shouldRestart(policy as RestartPolicy, e.exit)),
        expected,
      );
    });
  }
});

void describe('isFailedExit', () => {
  for (const e of EXITS) {
    void it(e.name, () => assert.equal(isFailedExit(e.exit), e.failed));
  }
});
