/**
 * Resource usage: what an instance's whole process group uses, as the monitor last sampled it.
 * Observations only; nothing here decides anything. Field names are a contract (SPEC §2).
 */

import type { Enforcement, LimitedResource } from './limits.ts';
import type { ObjectKey } from './object.ts';

/** One instance's sample, as a sampling pass hands it on. */
export interface SampledUsage {
  readonly object: ObjectKey;
  readonly id: string;
  readonly pid: number;
  /** The revision the instance runs (its spec hash): its limits and alerts are that revision's. */
  readonly specHash?: string;
  readonly usage: ResourceUsage;
  /** How the instance's limits are held, as the executor recorded it (passed through, not read). */
  readonly enforcement?: Partial<Record<LimitedResource, Enforcement>>;
}

/** The latest sample of one instance, summed over every process in its group. */
export interface ResourceUsage {
  /** Percent of one core over the last interval (the lifetime average on the first sample). */
  readonly cpu: number;
  /** Resident set size in bytes. */
  readonly memory: number;
  /** Open file descriptors. */
  readonly fds: number;
  readonly threads: number;
  /** Bytes per second read from storage; absent when `/proc/PID/io` is unreadable. */
  readonly diskReadBps?: number;
  /** Bytes per second written to storage; absent when `/proc/PID/io` is unreadable. */
  readonly diskWriteBps?: number;
  /** Open sockets (file descriptors that are sockets). */
  readonly sockets: number;
}
