/**
 * What the controller remembers between passes, per object: the parts of the past that the
 * planner needs and that cannot be read off the running processes. Persisted in the state file.
 */
import type { CircuitRecord, FailureRecord } from './failure.ts';
import type { ExitInfo } from './instance.ts';
import type { JobRecord } from './job.ts';
import type { ObjectKey, ProcessSpec } from './object.ts';

/** Per replica slot. */
export interface SlotHistory {
  /** Restarts after unrequested exits since the object's generation last changed. */
  readonly restarts: number;
  /** Backoff attempt of the current instance: 0 for a first start or after a reset. */
  readonly backoffAttempt: number;
  /** How the slot's previous instance ended; kept after a new one starts (`lastExit` in `get`). */
  readonly lastExit?: ExitInfo;
}

/** An imperative override from `tend stop` / `tend start`; kept until the manifest changes or `start`. */
export interface Override {
  readonly type: 'stopped';
  /** ms since the epoch. */
  readonly at: number;
  /** The generation it was given at; a newer generation clears it (except for UnlessStopped). */
  readonly generation: number;
}

export interface ObjectHistory {
  /** The manifest revision of the object: bumps whenever its content hash changes. */
  readonly generation: number;
  readonly contentHash: string;
  readonly override?: Override;
  /** `tend restart` at this time: instances started before it are restarted. */
  readonly restartRequestedAt?: number;
  /** Keyed by replica index. */
  readonly slots: Readonly<Record<number, SlotHistory>>;
  /** Failures of the object's instances, newest last, bounded (`FAILURE_HISTORY_LIMIT`). */
  readonly failures?: readonly FailureRecord[];
  /** The circuit breaker's record, when the object has one and it ever saw a failure. */
  readonly circuit?: CircuitRecord;
  /** A Job's current run. */
  readonly job?: JobRecord;
  /**
   * Earlier revisions of a Process that instances still run, by spec hash: each instance is
   * probed, stopped and judged by the spec it was started with until it is replaced. Kept in the
   * state file, so a new controller supervises adopted instances the same way.
   */
  readonly revisions?: Readonly<Record<string, ProcessSpec>>;
}

export type History = ReadonlyMap<ObjectKey, ObjectHistory>;
