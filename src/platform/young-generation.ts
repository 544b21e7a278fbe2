/**
 * The size of V8's young generation, fitted to how much the controller keeps.
 *
 * `tend up` starts with the young generation held at its initial 1 MB (bin/tend.js): a controller
 * of a few hundred programs stays about 14 MB smaller for a few more, short, scavenges. With
 * thousands of objects that trade turns around. Everything a load, a pass or an answer allocates
 * outlives a 1 MB young generation, is copied into the old one and is found dead there by a full
 * collection of a heap of hundreds of MB. At 10,000 programs that was 4.6 s of 14.5 s of the
 * controller's CPU in a bring-up; with the young generation free to grow to V8's default (16 MB
 * per semi-space), 1.4 s.
 *
 * So once the desired state holds {@link LARGE_STATE} or more objects and instances (or a load
 * lists that many files, before it parses them: the first load of 10,000 files allocates the
 * most), the young generation may grow as V8 sees fit, and the 32 MB it may take are a small
 * share of that heap. Below it, growth stops again.
 */
import { setFlagsFromString } from 'node:v8';
import { isProcessObject, type DesiredState } from '../model/object.ts';

/** Objects plus desired instances from which the young generation may grow. */
export const LARGE_STATE = 1000;

/** How many objects and desired instances `desired` holds, counted up to {@link LARGE_STATE}. */
export function stateSizeOf(desired: DesiredState): number {
  let size = desired.objects.size;
  for (const object of desired.objects.values()) {
    if (size >= LARGE_STATE) break;
    if (isProcessObject(object)) size += object.spec.replicas;
  }
  return size;
}

/** V8's `--semi-space-growth-factor` for a state of `size`: 1 holds the young generation where it is. */
export function growthFactorFor(size: number): 1 | 2 {
  return size >= LARGE_STATE ? 2 : 1;
}

/**
 * Sets the young generation's growth for a state of `size` objects and instances; V8 is told only
 * when the factor changes from the last one set, starting from bin/tend.js's 1. (In a process
 * that did not start `tend up` through bin/tend.js, V8's default is 2 already: only a state that
 * grew large and shrank again changes it.)
 */
export function createYoungGenerationFit(): (size: number) => void {
  let factor: 1 | 2 = 1;
  return (size) => {
    const fitted = growthFactorFor(size);
    if (fitted === factor) return;
    factor = fitted;
    setFlagsFromString(`--semi-space-growth-factor=${factor}`);
  };
}
