/**
 * Watches the manifest directory and says "manifests changed" (debounced); nothing else. Follows
 * an atomic symlink swap of the directory itself (the git-sync pattern) by also watching the
 * parent folder for the directory's name, and re-pointing the watch at the new target.
 */
import { watch as watchFs, realpathSync, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { watch, type FSWatcher as ChokidarWatcher } from 'chokidar';

export interface ManifestWatcher {
  close(): Promise<void>;
}

export interface WatchOptions {
  /** The manifest directory as given (may be a symlink). */
  readonly dir: string;
  /** Quiet time before a burst of changes is reported. */
  readonly debounceMs: number;
  readonly onChange: () => void;
}

/** Starts watching; `onChange` fires after each debounced burst of changes. */
export function watchManifests(options: WatchOptions): ManifestWatcher {
  const dir = resolve(options.dir);
  let timer: NodeJS.Timeout | undefined;
  let target: string | undefined;
  let tree: ChokidarWatcher | undefined;

  const changed = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      options.onChange();
    }, options.debounceMs);
  };

  const follow = (): void => {
    const next = realPathOrUndefined(dir);
    if (next === target) return;
    target = next;
    void tree?.close();
    tree = next === undefined ? undefined : watchTree(next, changed);
    changed();
  };

  follow();
  const parent = watchParent(dir, () => follow());
  return {
    async close() {
      if (timer) clearTimeout(timer);
      parent?.close();
      await tree?.close();
    },
  };
}

function watchTree(root: string, onEvent: () => void): ChokidarWatcher {
  const watcher = watch(root, {
    ignoreInitial: true,
    atomic: false,
    ignored: (path: string) => path !== root && basename(path).startsWith('.'),
  });
  watcher.on('all', onEvent);
  watcher.on('error', onEvent);
  return watcher;
}

// The parent folder sees the directory appear, vanish, or its symlink being swapped.
function watchParent(dir: string, onEvent: () => void): FSWatcher | undefined {
  const name = basename(dir);
  try {
    const watcher = watchFs(dirname(dir), (_event, filename) => {
      if (filename === null || filename.toString() === name) onEvent();
    });
    watcher.on('error', () => undefined);
    return watcher;
  } catch {
    return undefined;
  }
}

function realPathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
