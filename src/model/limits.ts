/**
 * Resource limits of a program, normalised: what `resources.limits`, `resources.onExceed` and
 * `alerts.warnAt` ask for, in the units of {@link ResourceUsage} (bytes, bytes per second,
 * counts) except CPU, which is in cores as written. Plain readonly data.
 */

/** The resources a limit can name, in the order `describe` shows them. */
export const LIMITED_RESOURCES = ['memory', 'cpu', 'fds', 'threads', 'diskWrite', 'diskRead'] as const;
export type LimitedResource = (typeof LIMITED_RESOURCES)[number];

/** What happens when a limit is exceeded. */
export type OnExceed = 'alert' | 'restart' | 'kill';

/** Limits per resource: memory bytes, cpu cores, fds and threads counts, disk bytes per second. */
export type ResourceLimits = Readonly<Partial<Record<LimitedResource, number>>>;

/** The normalised `resources.limits`, `resources.onExceed` and `alerts.warnAt` of a program. */
export interface ResourcePolicy {
  readonly limits: ResourceLimits;
  readonly onExceed: OnExceed;
  /** Fraction of a limit that raises a Warning alert (0 < warnAt <= 1). */
  readonly warnAt: number;
  /** `kernel`: cgroups and rlimits where the host allows; `monitor`: tend's monitor alone. */
  readonly enforce: 'kernel' | 'monitor';
}

/** How a limit is held: by the kernel (a cgroup or an rlimit), or watched by tend's monitor. */
export type Enforcement = 'cgroup' | 'rlimit' | 'monitor';
