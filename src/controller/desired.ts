/**
 * Turns successive manifest loads into the desired state, applying the fault rules of the spec:
 * a file that fails to load keeps its last valid objects; a file that disappears or empties is
 * pruned only after it stayed so for a grace period. Pure: the caller passes `now`.
 */
import type { ManifestObject, ObjectKey } from '../model/object.ts';

/** What one load said about one file. */
export interface FileOutcome {
  readonly file: string;
  readonly ok: boolean;
  readonly empty: boolean;
  readonly objects: readonly ManifestObject[];
}

interface FileEntry {
  readonly objects: readonly ManifestObject[];
  /** Set while the file is missing or empty; pruned once `now - missingSince >= graceMs`. */
  readonly missingSince?: number;
}

/** The last valid objects per file. */
export type FileBook = ReadonlyMap<string, FileEntry>;

export interface MergeResult {
  readonly book: FileBook;
  readonly objects: ReadonlyMap<ObjectKey, ManifestObject>;
  /** When a missing file's grace ends and another merge is due. */
  readonly wakeAt?: number;
}

/** Builds a book from objects restored from the state file (no grace state). */
export function bookFromObjects(objects: readonly ManifestObject[]): FileBook {
  const book = new Map<string, FileEntry>();
  for (const object of objects) {
    const entry = book.get(object.source.file);
    book.set(object.source.file, { objects: [...(entry?.objects ?? []), object] });
  }
  return book;
}

/** Merges one load of the whole directory into the book. */
export function mergeLoad(book: FileBook, files: readonly FileOutcome[], now: number, graceMs: number): MergeResult {
  const next = new Map<string, FileEntry>();
  const present = new Set<string>();
  for (const f of files) {
    if (!f.ok) {
      const previous = book.get(f.file);
      if (previous) next.set(f.file, previous);
      present.add(f.file);
    } else if (!f.empty) {
      next.set(f.file, { objects: f.objects });
      present.add(f.file);
    }
  }
  let wakeAt: number | undefined;
  for (const [file, entry] of book) {
    if (present.has(file)) continue;
    const missingSince = entry.missingSince ?? now;
    if (now - missingSince >= graceMs) continue;
    next.set(file, { objects: entry.objects, missingSince });
    wakeAt = Math.min(wakeAt ?? Infinity, missingSince + graceMs);
  }
  const result: MergeResult = { book: next, objects: objectsOf(next) };
  return wakeAt === undefined ? result : { ...result, wakeAt };
}

// Objects of every file in path order; the first definition of a key wins.
function objectsOf(book: FileBook): Map<ObjectKey, ManifestObject> {
  const objects = new Map<ObjectKey, ManifestObject>();
  for (const file of [...book.keys()].sort()) {
    for (const object of book.get(file)?.objects ?? []) {
      if (!objects.has(object.key)) objects.set(object.key, object);
    }
  }
  return objects;
}
