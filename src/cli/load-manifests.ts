/**
 * Reads the manifest directory for a command or the controller, and names the revision it was
 * read at: the Git commit when the directory is a checkout, else a hash of the objects.
 */
import type { Diagnostic } from '../model/diagnostic.ts';
import { specHash } from '../model/spec-hash.ts';
import type { FileOutcome } from '../controller/desired.ts';
import { readManifestDir, type ManifestCache } from '../manifest/load.ts';
import type { Incumbents } from '../manifest/check-set.ts';
import { readGitRevision } from '../watch/revision.ts';
import type { WatchPaths } from '../watch/watch-manifests.ts';
import type { CliContext } from './context.ts';

export type LoadOutcome =
  | {
      readonly ok: true;
      readonly files: readonly FileOutcome[];
      readonly diagnostics: readonly Diagnostic[];
      readonly revision: string;
      /** What the load read, for the watcher. */
      readonly watched: WatchPaths;
    }
  | {
      readonly ok: false;
      /** `ManifestDirUnreadable`, or `ManifestDirInsecure` when others could swap the directory. */
      readonly code: string;
      readonly message: string;
    };

/** What a controller's loads keep between reads. */
export interface LoadMemory {
  /** Files unchanged since an earlier load are not parsed again. */
  readonly cache?: ManifestCache;
  /** A duplicate definition loses to the running one. */
  readonly incumbents?: Incumbents;
  /** Lets other work run while thousands of files are validated. */
  readonly yieldTurn?: () => Promise<void>;
  /** Told how many manifest files were found, before any is read. */
  readonly onListed?: (files: number) => void;
}

/** Loads `ctx.dir`; an unreadable directory is `ok: false`, never an empty state. */
export async function loadManifestDir(ctx: CliContext, memory: LoadMemory = {}): Promise<LoadOutcome> {
  const result = await readManifestDir(ctx.dir, { asRoot: ctx.asRoot, ...memory });
  if (!result.ok) return { ok: false, code: result.error.code, message: result.error.message };
  const revision = readGitRevision(result.realDir) ?? `sha-${specHash(result.objects.map((o) => [o.key, o.contentHash]))}`;
  return { ok: true, files: result.files, diagnostics: result.diagnostics, revision, watched: result.watched };
}
