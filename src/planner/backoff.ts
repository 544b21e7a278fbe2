/**
 * Restart backoff as pure math: the delay before the n-th restart of an instance.
 *
 * Owns: the fixed / linear / exponential curves, the cap and the jitter.
 * Must not: read the clock, use `Math.random` or keep state; jitter is derived from a hash of
 * the seed (the instance id) and the attempt, so the same inputs always give the same delay.
 */
import type { BackoffPolicy } from '../model/object.ts';

/**
 * The delay in ms before restart number `attempt` (0 = the first restart after a reset).
 *
 * - `fixed`: `initialDelay` every time;
 * - `linear`: `initialDelay × (attempt + 1)`;
 * - `exponential`: `initialDelay × multiplier^attempt` (a multiplier below 1 counts as 1, so
 *   delays never shrink as failures go on).
 *
 * The result is capped at `maxDelay`, then moved by up to ±`jitter` (a fraction) using a hash of
 * `seed` and `attempt`, rounded to whole ms, and kept within `[0, maxDelay]`.
 *
 * @example
 * backoffDelay({ strategy: 'exponential', initialDelayMs: 1000, maxDelayMs: 300_000,
 *   multiplier: 2, jitter: 0, resetAfterMs: 600_000 }, 3, 'web-0'); // 8000
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, seed: string): number {
  const cap = Math.max(0, policy.maxDelayMs);
  const base = Math.min(curve(policy, Math.max(0, attempt)), cap);
  if (policy.jitter <= 0 || base <= 0) return Math.min(cap, Math.round(base));
  const spread = unitHash(seed, attempt) * 2 - 1;
  const jittered = Math.round(base * (1 + policy.jitter * spread));
  return Math.min(cap, Math.max(0, jittered));
}

// The uncapped delay; a zero initial delay stays zero (avoids 0 × Infinity).
function curve(policy: BackoffPolicy, attempt: number): number {
  const initial = Math.max(0, policy.initialDelayMs);
  if (initial === 0) return 0;
  switch (policy.strategy) {
    case 'fixed':
      return initial;
    case 'linear':
      return initial * (attempt + 1);
    case 'exponential':
      return initial * Math.max(1, policy.multiplier) ** attempt;
  }
}

// FNV-1a over the seed and the attempt, then murmur3's finaliser; a number in [0, 1).
function unitHash(seed: string, attempt: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  }
  h = Math.imul(h ^ (attempt | 0), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}
