/**
 * Values in the forms Kubernetes takes: whole seconds, quantities, command strings safe from
 * Kubernetes' `$(VAR)` expansion. Pure.
 */
import { parseDuration } from '../../manifest/normalize.ts';

/** A validated duration in milliseconds (0 for anything that is not one). */
export function durationMs(value: unknown): number {
  return typeof value === 'string' || typeof value === 'number' ? (parseDuration(value) ?? 0) : 0;
}

/** A duration as whole seconds, rounded up: Kubernetes counts most times in seconds. */
export function ceilSeconds(value: unknown): number {
  return Math.ceil(durationMs(value) / 1000);
}

/** Whether a duration is a whole number of seconds, so that {@link ceilSeconds} is exact. */
export function isWholeSeconds(value: unknown): boolean {
  return durationMs(value) % 1000 === 0;
}

/** A cpu, memory or disk amount as a Kubernetes quantity: tend writes the same units (`500m`, `0.5`, `256Mi`). */
export function quantity(value: unknown): string {
  return String(value);
}

/**
 * Kubernetes expands `$(NAME)` and turns `$$` into `$` in a container's command, args and env
 * values; tend passes them as written. Doubling each `$` that starts such a sequence keeps the
 * text as written.
 * @example escapeExpansion('echo $(date) $HOME') // 'echo $$(date) $HOME'
 */
export function escapeExpansion(text: string): string {
  return text.replace(/\$(?=[$(])/g, '$$$$');
}

/** The largest int32, Kubernetes' way of saying "no limit" in count fields. */
export const INT32_MAX = 2_147_483_647;
