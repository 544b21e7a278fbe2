/** A problem found in a manifest, with the place it is at. Manifest problems are data. */
export interface Diagnostic {
  /** Stable code, e.g. `ManifestInvalid`, `YamlSyntax`, `DuplicateObject`. */
  readonly code: string;
  readonly severity: 'error' | 'warning';
  /** The whole sentence after the field path: what was expected, what was found, how to fix. */
  readonly message: string;
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
  /** Dotted field path, e.g. `spec.restartPolicy`; empty for file-level problems. */
  readonly path: string;
}

/** `file:line:col: path: message`, the way a compiler prints it. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.col}`;
  const label = d.severity === 'warning' ? 'warning: ' : '';
  return d.path ? `${where}: ${label}${d.path}: ${d.message}` : `${where}: ${label}${d.message}`;
}
