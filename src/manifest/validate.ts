/**
 * Schema validation of manifest documents and the per-file pipeline (parse, validate,
 * normalise), and the mapping of ajv errors to compiler-style diagnostics that say what was
 * expected and what was found. The validators themselves come from validators.ts. Pure apart
 * from loading those once; it never reads manifests from disk.
 */
import type { ErrorObject } from 'ajv';
import type { Diagnostic } from '../model/diagnostic.ts';
import { KINDS, objectKey } from '../model/object.ts';
import type { DependencyCondition, Kind, ManifestObject, ObjectKey } from '../model/object.ts';
import { compareDiagnostics, didYouMean, formatPath, hasErrors, makeDiagnostic } from './diagnostics.ts';
import type { FieldPath, Problem } from './diagnostics.ts';
import { PROCESS_DEFAULTS, toManifestObject } from './normalize.ts';
import type { ReadEnvFile, ValidManifest } from './normalize.ts';
import { locate, parseManifestText } from './parse.ts';
import { runAsProblems, type UserCheck } from './run-as.ts';
import type { ParsedDocument } from './parse.ts';
import { schemaProblems } from './schema-errors.ts';
import { getValidators } from './validators.ts';

/** A `dependsOn` entry and where it is written; cross-file checks resolve it. */
export interface DependencyRef {
  readonly from: ObjectKey;
  readonly to: ObjectKey;
  readonly condition: DependencyCondition;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** e.g. `spec.dependsOn[0].name`. */
  readonly path: string;
}

/** What checking one manifest file gave. */
export interface ManifestFileResult {
  /** Display path (relative to the working directory when inside it). */
  readonly file: string;
  /** No error diagnostics (warnings allowed). Objects of a file that is not ok are not applied. */
  readonly ok: boolean;
  /** The file holds no document (only comments or whitespace). */
  readonly empty: boolean;
  /** Objects of the documents that are valid (all of them when `ok`). */
  readonly objects: readonly ManifestObject[];
  /** Sorted by line and column. */
  readonly diagnostics: readonly Diagnostic[];
  readonly dependencies: readonly DependencyRef[];
}

/** What the per-file pipeline needs to know about the file besides its text. */
export interface FileContext {
  /** Display path used in diagnostics and `source.file`. */
  readonly file: string;
  /** Absolute folder of the file; relative paths in it are resolved against this. */
  readonly dir: string;
  /** Owner of the file. */
  readonly uid: number;
  readonly gid: number;
  readonly readEnvFile: ReadEnvFile;
  /** Running as root with a file root does not own: which `user:` values it may not name. */
  readonly userCheck?: UserCheck;
}

// The envelope, then the spec of the document's kind; the valid manifest when no error.
function validateDocument(value: unknown): { readonly problems: readonly Problem[]; readonly manifest?: ValidManifest } {
  const { envelope, spec } = getValidators();
  const errors: ErrorObject[] = envelope(value) ? [] : [...(envelope.errors ?? [])];
  const record = isRecord(value) ? value : undefined;
  const kind = KINDS.find((k) => k === record?.kind);
  if (kind && record && isRecord(record.spec)) {
    const validateSpec = spec(kind);
    if (!validateSpec(record.spec)) {
      errors.push(...(validateSpec.errors ?? []).map((e) => ({ ...e, instancePath: `/spec${e.instancePath}` })));
    }
  }
  const problems = [...schemaProblems(errors, value)];
  if (problems.length > 0) return { problems };
  const manifest = value as ValidManifest;
  return { problems: semanticProblems(manifest), manifest };
}

/**
 * The whole per-file pipeline: YAML parse, schema validation and normalisation of every
 * document. Never throws on any text.
 * @example validateManifestText(text, { file: 'manifests/web.yaml', dir: '/srv/manifests', uid: 0, gid: 0, readEnvFile })
 */
export function validateManifestText(text: string, context: FileContext): ManifestFileResult {
  const parsed = parseManifestText(text, context.file);
  const diagnostics = [...parsed.diagnostics];
  const objects: ManifestObject[] = [];
  const dependencies: DependencyRef[] = [];
  for (const doc of parsed.documents) {
    const checked = checkDocument(doc, context);
    diagnostics.push(...checked.diagnostics);
    if (checked.object) objects.push(checked.object);
    dependencies.push(...checked.dependencies);
  }
  diagnostics.sort(compareDiagnostics);
  return { file: context.file, ok: !hasErrors(diagnostics), empty: parsed.empty, objects, diagnostics: capped(diagnostics), dependencies };
}

/** Diagnostics shown per file, at most; the rest are counted in one more. */
export const MAX_FILE_DIAGNOSTICS = 50;

// A file of thousands of bad documents must not flood the terminal or the event log.
function capped(diagnostics: Diagnostic[]): Diagnostic[] {
  const rest = diagnostics.slice(MAX_FILE_DIAGNOSTICS);
  const [next] = rest;
  if (!next) return diagnostics;
  const more = `${rest.length} more problems in this file not shown; fix the ones above first`;
  return [...diagnostics.slice(0, MAX_FILE_DIAGNOSTICS), { ...next, path: '', message: more, severity: hasErrors(rest) ? 'error' : 'warning' }];
}

function checkDocument(
  doc: ParsedDocument,
  context: FileContext,
): { diagnostics: Diagnostic[]; object?: ManifestObject; dependencies: DependencyRef[] } {
  const toDiagnostic = (p: Problem): Diagnostic =>
    makeDiagnostic({ code: p.code, severity: p.severity, path: p.path, message: p.message, file: context.file, at: locate(doc, p.at ?? p.path) });
  const validated = validateDocument(doc.value);
  const { manifest } = validated;
  const problems = manifest && context.userCheck ? [...validated.problems, ...runAsProblems(manifest.spec, context.userCheck)] : validated.problems;
  if (!manifest || problems.some((p) => p.severity === 'error')) {
    return { diagnostics: problems.map(toDiagnostic), dependencies: [] };
  }
  const at = locate(doc, ['metadata', 'name']);
  const source = { file: context.file, line: at.line, col: at.col, uid: context.uid, gid: context.gid };
  const built = toManifestObject(manifest, { dir: context.dir, readEnvFile: context.readEnvFile, source });
  const diagnostics = [...problems, ...built.problems].map(toDiagnostic);
  if (!built.object) return { diagnostics, dependencies: [] };
  const from = built.object.key;
  const entries = (manifest.spec.dependsOn ?? []) as readonly { name: string; kind?: Kind; condition?: DependencyCondition }[];
  const dependencies = entries.map((entry, index): DependencyRef => {
    const path: FieldPath = ['spec', 'dependsOn', index, 'name'];
    const { line, col } = locate(doc, path);
    const condition = entry.condition ?? PROCESS_DEFAULTS.dependencyCondition;
    return { from, to: objectKey(entry.kind ?? 'Process', entry.name), condition, file: context.file, line, col, path: formatPath(path) };
  });
  return { diagnostics, object: built.object, dependencies };
}

// Rules a JSON schema cannot state well, on a document that passed the schema.
function semanticProblems(manifest: ValidManifest): Problem[] {
  const problems: Problem[] = [];
  const spec = manifest.spec;
  if (manifest.kind === 'ProcessPool') {
    const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
    const max = typeof spec.maxReplicas === 'number' ? spec.maxReplicas : 10;
    if (min > max) {
      problems.push({ code: 'ManifestInvalid', severity: 'error', path: ['spec', 'minReplicas'], message: `must not exceed maxReplicas (got ${min} > ${max})` });
    }
    problems.push(...portRangeProblems(spec.ports, max));
  }
  const resourceMaps: [FieldPath, unknown][] = [
    [['spec', 'resources', 'requests'], nested(spec, 'resources', 'requests')],
    [['spec', 'template', 'resources', 'requests'], nested(spec, 'template', 'resources', 'requests')],
    [['spec', 'capacity'], spec.capacity],
  ];
  for (const [path, map] of resourceMaps) problems.push(...resourceNameTypos(path, map));
  return problems;
}

// A pool's port range must give every worker up to maxReplicas its own port.
function portRangeProblems(ports: unknown, max: number): Problem[] {
  if (!isRecord(ports) || typeof ports.from !== 'number' || typeof ports.to !== 'number') return [];
  const size = ports.to - ports.from + 1;
  if (size >= max) return [];
  return [{ code: 'ManifestInvalid', severity: 'error', path: ['spec', 'ports'], message: `must hold maxReplicas (${max}) ports (got ${Math.max(size, 0)}: ${ports.from}-${ports.to})` }];
}

// `memroy: 1` is a valid countable resource, but almost surely a typo.
function resourceNameTypos(path: FieldPath, map: unknown): Problem[] {
  if (!isRecord(map)) return [];
  const known = ['cpu', 'memory', 'disk'];
  return Object.keys(map).flatMap((name): Problem[] => {
    const guess = known.includes(name) ? undefined : didYouMean(name, known);
    if (!guess) return [];
    const message = `custom resource ${JSON.stringify(name)} (did you mean "${guess}"?); names other than cpu, memory and disk are countable resources of the Node`;
    return [{ code: 'UnknownField', severity: 'warning', path: [...path, name], message }];
  });
}

function nested(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) current = isRecord(current) ? current[key] : undefined;
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
