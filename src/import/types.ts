/**
 * What every importer shares: the source it reads, the context paths are resolved in, the tend
 * objects it makes and the source fields it could not carry over. Importers are pure: text in,
 * objects and drop reports out; reading files and writing manifests is the CLI's job.
 */

/** A source field tend cannot express, reported as `FILE:LINE: field: not imported: why`. */
export interface ImportDrop {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** Dotted path of the field in the source, e.g. `apps[0].cron_restart`. */
  readonly field: string;
  readonly why: string;
}

/** One tend Process made from one source program. */
export interface ImportedObject {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The Process spec, keys in the order they are written out. */
  readonly spec: Readonly<Record<string, unknown>>;
  readonly source: { readonly file: string; readonly line: number; readonly what: string };
  /** Lines written as comments above the object: how a field was mapped when that is not plain. */
  readonly notes: readonly string[];
}

/** What an importer gives back. */
export interface ImportResult {
  readonly objects: readonly ImportedObject[];
  readonly drops: readonly ImportDrop[];
  /** Source fields carried over into the objects, as `FILE:field` (e.g. `Procfile:line 2`). */
  readonly mapped: readonly string[];
}

/** One source file as read by the CLI. */
export interface SourceText {
  /** The path as the user named it; used in comments and reports. */
  readonly file: string;
  /** Absolute folder of the file: relative paths in it are resolved against this. */
  readonly dir: string;
  readonly text: string;
}

/** Where paths go and what the host looks like; the CLI fills it. */
export interface ImportContext {
  /** Absolute folder the manifests are written to; undefined prints them (paths become absolute). */
  readonly outDir: string | undefined;
  /** PM2 `env_<name>` to apply (`--env NAME`). */
  readonly envName: string | undefined;
  /** Variables for `${VAR}` (Compose) and `%(ENV_VAR)s` (supervisord) interpolation. */
  readonly env: Readonly<Record<string, string>>;
  /** Cores of this machine, for PM2 `instances: max`. */
  readonly cpus: number;
}
