/**
 * Building manifest diagnostics: the stable codes, field paths as users read them
 * (`spec.dependsOn[0].name`), "got ..." renderings of values and "did you mean" suggestions.
 * Pure helpers only; it reads no files and knows nothing of YAML or ajv.
 */
import type { Diagnostic } from '../model/diagnostic.ts';

/** Stable diagnostic codes. Users see them; scripts may match on them. */
export const DIAGNOSTIC_CODES = [
  /** The file is not valid YAML (or uses a custom tag, or expands too many aliases). */
  'YamlSyntax',
  /** A document does not match the schema of its kind. */
  'ManifestInvalid',
  /** A field the schema does not know, usually a typo. */
  'UnknownField',
  /** `metadata.name` is not a DNS-1123 label. */
  'InvalidName',
  /** The same `kind/name` is defined twice; the first file in path order wins. */
  'DuplicateObject',
  /** `dependsOn` names an object that no manifest defines. */
  'UnknownDependency',
  /** `dependsOn` entries form a cycle. */
  'DependencyCycle',
  /** `condition: completed` on a Process that restarts after every exit, so it never stays completed. */
  'DependencyNeverCompletes',
  /** More than one `Node` object. */
  'MultipleNodes',
  /** The file is over the per-file size limit. */
  'FileTooLarge',
  /**
   * Running as root, the file, a symlink to it or a folder above it could be changed by someone
   * other than root and the file's owner (see src/platform/file-trust.ts).
   */
  'InsecurePermissions',
  /** The file is not UTF-8. */
  'InvalidEncoding',
  /** Running as root, `user:` names another account in a file root does not own. */
  'UserNotAllowed',
  /** A warning: the file is the same file as one read under another path, so it is read once. */
  'DuplicateFile',
  /** The file could not be read. */
  'FileUnreadable',
  /** An `envFrom` file could not be read or parsed. */
  'EnvFileUnreadable',
  /** A warning: the kind validates but tend does not run it yet. */
  'UnsupportedKind',
] as const;
/** One of {@link DIAGNOSTIC_CODES}. */
export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

/** A 1-based place in a file. */
export interface Position {
  readonly line: number;
  readonly col: number;
}

/** The start of a file, for problems that concern the whole file. */
export const FILE_START: Position = { line: 1, col: 1 };

/** A field path as segments: map keys and list indexes, e.g. `['spec', 'dependsOn', 0, 'name']`. */
export type FieldPath = readonly (string | number)[];

/** A problem found before its place in the file is known; turned into a {@link Diagnostic} later. */
export interface Problem {
  readonly code: DiagnosticCode;
  readonly severity: 'error' | 'warning';
  readonly path: FieldPath;
  /** Where to point when it differs from `path` (e.g. a file-level message placed at `kind`). */
  readonly at?: FieldPath;
  readonly message: string;
}

/** Builds a diagnostic. Severity defaults to `error`. */
export function makeDiagnostic(input: {
  readonly code: DiagnosticCode;
  readonly file: string;
  readonly at: Position;
  readonly path?: FieldPath;
  readonly message: string;
  readonly severity?: 'error' | 'warning';
}): Diagnostic {
  return {
    code: input.code,
    severity: input.severity ?? 'error',
    message: input.message,
    file: input.file,
    line: input.at.line,
    col: input.at.col,
    path: formatPath(input.path ?? []),
  };
}

/** True when any diagnostic is an error (warnings do not make a manifest invalid). */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Orders diagnostics of one file by place, then code. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.col - b.col || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
}

/**
 * Renders a field path the way users write it.
 * @example formatPath(['spec', 'dependsOn', 0, 'name']) // 'spec.dependsOn[0].name'
 * @example formatPath(['metadata', 'labels', 'app.kubernetes.io/name']) // 'metadata.labels["app.kubernetes.io/name"]'
 */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** How a found value is shown after "got": strings quoted and cut, collections by their kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a number too large to represent';
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}

/**
 * The closest candidate to a misspelt word, if one is close enough: equal ignoring case, one
 * containing the other, or within an edit distance of about a third of the word.
 * @example didYouMean('always', ['Always', 'Never']) // 'Always'
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const other = candidate.toLowerCase();
    const distance = other === lower ? 0 : levenshtein(lower, other);
    const contains = lower.length >= 3 && (other.includes(lower) || lower.includes(other));
    const limit = Math.max(1, Math.floor(Math.max(lower.length, other.length) * 0.34));
    if ((distance <= limit || contains) && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

// Edit distance with one rolling row; words here are short.
function levenshtein(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost);
    }
    row = next;
  }
  return row[b.length] ?? 0;
}
