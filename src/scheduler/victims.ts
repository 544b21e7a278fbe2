/**
 * Preemption's victim choice: the fewest running units whose requests, once freed, cover a
 * deficit, preferring (in the given order) lowest priority, then most recently started.
 *
 * Owns: the minimal-set search and its fallback.
 * Must not: decide who is eligible (priority, preemptible); the caller filters and orders.
 */
import { EPSILON, addInto, covers } from './resources.ts';

/** A running unit that may be evicted: its id and what evicting it frees on each axis. */
export interface Candidate {
  readonly id: string;
  readonly demand: readonly number[];
}

// Combinations looked at before settling for an inclusion-minimal set; keeps a pass bounded.
const SEARCH_BUDGET = 2_000;

/**
 * The victims for `deficit`, or undefined when evicting every candidate would not cover it.
 *
 * `candidates` come most-preferred victim first. The result has the smallest possible size, and
 * among sets of that size the one that comes first in candidate order; when that search would
 * look at more than a bounded number of combinations, it is instead a greedy set in candidate
 * order with every victim the others already cover given back (no victim is pointless).
 */
export function chooseVictims(deficit: readonly number[], candidates: readonly Candidate[]): Candidate[] | undefined {
  const useful = candidates.filter((c) => c.demand.some((amount, i) => amount > 0 && (deficit[i] ?? 0) > 0));
  const suffix = suffixSums(useful, deficit.length);
  if (!covers(suffix[0] ?? [], deficit)) return undefined;
  const budget = { left: SEARCH_BUDGET };
  for (let size = lowerBound(deficit, useful); size <= useful.length; size++) {
    const picked = pickExactly(size, { deficit, useful, suffix, budget }, 0, deficit.map(() => 0));
    if (picked !== undefined) return picked.map((i) => useful[i]).filter((c) => c !== undefined);
    if (budget.left <= 0) break;
  }
  return greedyThenReprieve(deficit, useful);
}

interface Search {
  readonly deficit: readonly number[];
  readonly useful: readonly Candidate[];
  readonly suffix: readonly number[][];
  readonly budget: { left: number };
}

// Depth-first over index combinations in lexicographic order; prunes when the rest cannot cover.
function pickExactly(size: number, s: Search, from: number, sum: number[]): number[] | undefined {
  if (size === 0) return covers(sum, s.deficit) ? [] : undefined;
  for (let i = from; i <= s.useful.length - size; i++) {
    if (--s.budget.left < 0) return undefined;
    if (!coversTogether(sum, s.suffix[i] ?? [], s.deficit)) return undefined;
    const demand = s.useful[i]?.demand ?? [];
    addInto(sum, demand, 1);
    const tail = pickExactly(size - 1, s, i + 1, sum);
    addInto(sum, demand, -1);
    if (tail !== undefined) return [i, ...tail];
  }
  return undefined;
}

// Whether a + b covers the deficit (no allocation: runs at every search node).
function coversTogether(a: readonly number[], b: readonly number[], deficit: readonly number[]): boolean {
  for (let d = 0; d < deficit.length; d++) {
    const need = deficit[d] ?? 0;
    if (need > 0 && (a[d] ?? 0) + (b[d] ?? 0) + EPSILON < need) return false;
  }
  return true;
}

// No set smaller than what the largest candidates need on the tightest axis can cover it.
function lowerBound(deficit: readonly number[], candidates: readonly Candidate[]): number {
  let bound = 1;
  deficit.forEach((need, d) => {
    if (need <= 0) return;
    const amounts = candidates.map((c) => c.demand[d] ?? 0).sort((x, y) => y - x);
    let sum = 0;
    let count = 0;
    while (sum + EPSILON < need && count < amounts.length) sum += amounts[count++] ?? 0;
    bound = Math.max(bound, count);
  });
  return bound;
}

// suffix[i] = what candidates i.. free together.
function suffixSums(candidates: readonly Candidate[], width: number): number[][] {
  const suffix: number[][] = new Array<number[]>(candidates.length + 1);
  suffix[candidates.length] = new Array<number>(width).fill(0);
  for (let i = candidates.length - 1; i >= 0; i--) {
    const next = [...(suffix[i + 1] ?? [])];
    addInto(next, candidates[i]?.demand ?? [], 1);
    suffix[i] = next;
  }
  return suffix;
}

// Take candidates in order until covered, then give back, most valued first, any not needed.
function greedyThenReprieve(deficit: readonly number[], candidates: readonly Candidate[]): Candidate[] {
  const chosen: Candidate[] = [];
  const sum = deficit.map(() => 0);
  for (const c of candidates) {
    if (covers(sum, deficit)) break;
    chosen.push(c);
    addInto(sum, c.demand, 1);
  }
  for (let i = chosen.length - 1; i >= 0; i--) {
    const c = chosen[i];
    if (c === undefined) continue;
    addInto(sum, c.demand, -1);
    if (covers(sum, deficit)) chosen.splice(i, 1);
    else addInto(sum, c.demand, 1);
  }
  return chosen;
}
