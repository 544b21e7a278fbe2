/**
 * The revision of the manifest directory: the Git commit when the directory is inside a Git
 * checkout (read from `.git` directly, no `git` process), else undefined.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Commit id of the checkout containing `dir`, or undefined. */
export function readGitRevision(dir: string): string | undefined {
  const gitDir = findGitDir(resolve(dir));
  if (!gitDir) return undefined;
  const head = readText(join(gitDir, 'HEAD'))?.trim();
  if (!head) return undefined;
  if (!head.startsWith('ref: ')) return head;
  const ref = head.slice(5);
  const loose = readText(join(gitDir, ref))?.trim();
  if (loose) return loose;
  const packed = readText(join(gitDir, 'packed-refs')) ?? '';
  const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
  return line?.split(' ')[0];
}

function findGitDir(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, '.git');
    const kind = statKind(candidate);
    if (kind === 'dir') return candidate;
    if (kind === 'file') {
      const pointer = readText(candidate)?.match(/^gitdir: (.+)$/m)?.[1];
      if (pointer) return resolve(dir, pointer.trim());
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function statKind(path: string): 'dir' | 'file' | undefined {
  try {
    const s = statSync(path);
    return s.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
