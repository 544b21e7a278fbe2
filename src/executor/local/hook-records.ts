/**
 * Which lifecycle hooks may still run from a controller that is gone: `<runDir>/<pid>-<n>.hook`,
 * an empty file written before a hook is spawned and removed once its process has exited. A
 * controller killed mid-hook leaves its file behind, so the next one looks through `/proc` for
 * abandoned hooks only when a file is there; with none (every start after a clean stop, every
 * new state dir) no hook of this state dir can be running and the walk over every process of the
 * machine is skipped. Must not: throw.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SUFFIX = '.hook';

let written = 0;

/**
 * Records a hook about to start; the path to hand to {@link hookEnded}. Undefined when it could
 * not be written: the hook still runs, and a controller that dies during it leaves no record.
 */
export function hookStarting(runDir: string): string | undefined {
  const path = join(runDir, `${process.pid}-${++written}${SUFFIX}`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, '');
      return path;
    } catch {
      // The run dir is made with the first spawn; a hook may come first (preStart).
      if (attempt === 0) makeRunDir(runDir);
    }
  }
  return undefined;
}

/** Removes the record of a hook whose process has exited. */
export function hookEnded(path: string | undefined): void {
  if (path !== undefined) rmSync(path, { force: true });
}

/** True when some hook's record is left: a controller may have died while it ran. */
export function hooksRecorded(runDir: string): boolean {
  return recordsIn(runDir).length > 0;
}

/** Removes every hook record: the controller that found them has cut the hooks they stand for. */
export function forgetHooks(runDir: string): void {
  for (const name of recordsIn(runDir)) rmSync(join(runDir, name), { force: true });
}

function recordsIn(runDir: string): string[] {
  try {
    return readdirSync(runDir).filter((name) => name.endsWith(SUFFIX));
  } catch {
    return [];
  }
}

function makeRunDir(runDir: string): void {
  try {
    mkdirSync(runDir, { recursive: true, mode: 0o750 });
  } catch {
    // Reported by the write that follows.
  }
}
