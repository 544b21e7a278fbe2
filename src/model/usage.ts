/**
 * Resource usage: what an instance's whole process group uses, as the monitor last sampled it.
 * Observations only; nothing here decides anything. Field names are a contract (SPEC §2).
 */

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
