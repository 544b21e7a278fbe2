/**
 * Watches the manifest directory and says "manifests changed" (debounced); nothing else. One
 * inotify watch per folder, never per file, so ten thousand manifests cost a few folders' worth
 * of watches instead of ten thousand. Files that live elsewhere (the target of a symlinked
 * manifest, an `envFrom` file) are watched through their folder, filtered to their own names.
 * Follows an atomic symlink swap of the directory itself (the git-sync pattern) by also watching
 * the parent folder for the directory's name, and re-pointing the watch at the new target.
 */
import { watch as watchFs, readdirSync, realpathSync, statSync, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** What a load of the manifests read: the folders it listed and the files it read, real paths. */
export interface WatchPaths {
  readonly folders: readonly string[];
  readonly files: readonly string[];
}

export interface ManifestWatcher {
  /** Watches what a load read as well (new folders, files outside the directory); drops the rest. */
  track(paths: WatchPaths): void;
  /**
   * How many changes were seen so far (each relevant event, a folder newly watched or lost, a
   * swap of the directory), counted at once, before the debounce. Undefined while a change could
   * go unseen: a folder that should be watched is not (it could not be, or is missing), or the
   * directory's parent is not watched. Two equal counts vouch that nothing changed in between.
   */
  changes(): number | undefined;
  close(): Promise<void>;
}

export interface WatchOptions {
  /** The manifest directory as given (may be a symlink). */
  readonly dir: string;
  /** Quiet time before a burst of changes is reported. */
  readonly debounceMs: number;
  readonly onChange: () => void;
  /** A folder that cannot be watched (said once per folder): its changes are seen on the next load. */
  readonly onProblem?: (message: string) => void;
}

/** What matters in a folder: every visible entry (a folder the load listed), and these names. */
export interface Interest {
  readonly all: boolean;
  readonly names: ReadonlySet<string>;
}

interface Watched {
  readonly watcher: FSWatcher;
  interest: Interest;
}

const EVERY_VISIBLE: Interest = { all: true, names: new Set() };

/**
 * Starts watching; `onChange` fires after each debounced burst of changes. Made before the first
 * load, it sees every change from then on: the folders under the directory are watched at once.
 */
export function watchManifests(options: WatchOptions): ManifestWatcher {
  const dir = resolve(options.dir);
  const watched = new Map<string, Watched>();
  const failed = new Set<string>();
  // Folders wanted but not watched: a change in them would go unseen.
  const unwatched = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let target: string | undefined;
  let count = 0;

  const changed = (): void => {
    count += 1;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      options.onChange();
    }, options.debounceMs);
  };

  const watchFolder = (folder: string, interest: Interest): boolean => {
    const known = watched.get(folder);
    if (known) {
      known.interest = interest;
      return true;
    }
    try {
      const entry: Watched = { interest, watcher: watchFs(folder, (_event, name) => relevant(entry.interest, name) && changed()) };
      entry.watcher.on('error', () => {
        unwatch(folder);
        unwatched.add(folder);
        changed();
      });
      watched.set(folder, entry);
      failed.delete(folder);
      unwatched.delete(folder);
      return true;
    } catch (error) {
      unwatched.add(folder);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false; // an optional env file's missing folder
      if (!failed.has(folder)) options.onProblem?.(`cannot watch ${folder}: ${(error as Error).message}; its changes are seen on the next load`);
      failed.add(folder);
      return false;
    }
  };
  const unwatch = (folder: string): void => {
    watched.get(folder)?.watcher.close();
    watched.delete(folder);
  };

  const follow = (initial: boolean): void => {
    const next = realPathOrUndefined(dir);
    if (next === target) return;
    target = next;
    for (const folder of [...watched.keys()]) unwatch(folder);
    if (next !== undefined) for (const folder of foldersUnder(next)) watchFolder(folder, EVERY_VISIBLE);
    if (!initial) changed();
  };

  follow(true);
  const parent = watchParent(dir, () => follow(false));
  return {
    track(paths) {
      const wanted = wantedFolders(paths);
      let added = false;
      for (const [folder, interest] of wanted) {
        const fresh = !watched.has(folder);
        added = (watchFolder(folder, interest) && fresh) || added;
      }
      for (const folder of [...watched.keys()]) if (!wanted.has(folder)) unwatch(folder);
      for (const folder of [...unwatched]) if (!wanted.has(folder)) unwatched.delete(folder);
      // A file written into a new folder before its watch existed is read by one more load.
      if (added) changed();
    },
    changes: () => (parent === undefined || unwatched.size > 0 ? undefined : count),
    close() {
      if (timer) clearTimeout(timer);
      parent?.close();
      for (const folder of [...watched.keys()]) unwatch(folder);
      return Promise.resolve();
    },
  };
}

// A named entry matters; other hidden ones (editor swap files, `.git`) never do; `null` (the OS
// did not say which) always does.
export function relevant(interest: Interest, name: string | Buffer | null): boolean {
  if (name === null) return true;
  const text = name.toString();
  return interest.names.has(text) || (interest.all && !text.startsWith('.'));
}

/** Folders to watch for a load's paths: listed folders whole, and every file read by its name. */
export function wantedFolders(paths: WatchPaths): Map<string, Interest> {
  const listed = new Set(paths.folders);
  const names = new Map<string, Set<string>>();
  for (const folder of paths.folders) names.set(folder, new Set());
  for (const file of paths.files) {
    const folder = dirname(file);
    const known = names.get(folder);
    if (known) known.add(basename(file));
    else names.set(folder, new Set([basename(file)]));
  }
  return new Map([...names].map(([folder, set]) => [folder, { all: listed.has(folder), names: set }]));
}

// The folder and every visible folder under it (symlinked ones followed, each real folder once),
// as the manifest loader walks them.
function foldersUnder(root: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const visit = (folder: string): void => {
    if (seen.has(folder)) return;
    seen.add(folder);
    found.push(folder);
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return; // gone, or unreadable: the load says so
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isSymbolicLink() && isFolder(path)) visit(realPathOrUndefined(path) ?? path);
    }
  };
  visit(root);
  return found;
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

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function realPathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
