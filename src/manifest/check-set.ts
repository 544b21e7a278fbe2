/**
 * Checks across all manifest files: duplicate `kind/name` (the running definition, then a
 * root-owned one, then the first in path order wins),
 * `dependsOn` targets that no file defines, dependency cycles, and at most one Node. Pure: it
 * works on the per-file results and marks a file not ok when it receives an error here.
 */
import type { Diagnostic } from '../model/diagnostic.ts';
import { isProcessObject, objectKey, type ManifestObject, type ObjectKey } from '../model/object.ts';
import { compareDiagnostics, didYouMean, hasErrors, makeDiagnostic } from './diagnostics.ts';
import type { DependencyRef, ManifestFileResult } from './validate.ts';

/** The desired state as read from a set of files, with every problem found. */
export interface ManifestSetResult {
  /** In path order; `ok` and `diagnostics` include the cross-file checks. */
  readonly files: readonly ManifestFileResult[];
  /** Objects of the ok files only, in path order. */
  readonly objects: readonly ManifestObject[];
  /** All diagnostics, file by file in path order, each file's sorted by place. */
  readonly diagnostics: readonly Diagnostic[];
  /** No error anywhere (warnings allowed): what `tend validate` exits 0 on. */
  readonly valid: boolean;
}

/**
 * Runs the cross-file checks over per-file results given in path order.
 *
 * When some file has errors of its own, an unknown `dependsOn` target may be defined in it, so
 * `UnknownDependency` is then only a warning and does not mark the depending file not ok (a
 * broken file must not take down the files that depend on it).
 */
export function checkManifestSet(files: readonly ManifestFileResult[], incumbents: Incumbents = new Map()): ManifestSetResult {
  const added = new Map<string, Diagnostic[]>();
  const add = (d: Diagnostic): void => {
    added.set(d.file, [...(added.get(d.file) ?? []), d]);
  };
  const defined = new Map<ObjectKey, ManifestObject>();
  let node: ManifestObject | undefined;
  for (const object of inIncumbentOrder(files.flatMap((f) => f.objects), incumbents)) {
    const first = defined.get(object.key);
    if (first) add(atObject(object, 'DuplicateObject', duplicateMessage(object, first, incumbents)));
    else defined.set(object.key, object);
    const twin = first ? undefined : instanceTwin(object, defined);
    if (twin) add(atObject(object, 'DuplicateObject', `${twin.key} (${where(twin)}) has the same name, and both would run instances ${object.name}-0, ${object.name}-1, ...; rename one`));
    if (object.kind === 'Node' && !first) {
      if (node) add(atObject(object, 'MultipleNodes', `only one Node is allowed; ${node.key} is already defined at ${where(node)}`));
      else node = object;
    }
  }
  const someFileBroken = files.some((f) => !f.ok);
  const dependencies = files.flatMap((f) => f.dependencies);
  for (const dep of dependencies) {
    if (defined.has(dep.to)) continue;
    const severity = someFileBroken ? 'warning' : 'error';
    const [prefix = '', name = ''] = dep.to.split('/');
    const names = [...defined.keys()].filter((k) => k.startsWith(`${prefix}/`)).map((k) => k.slice(prefix.length + 1));
    const guess = didYouMean(name, names);
    const other = otherKindNamed(defined, name);
    const suffix = other
      ? `; ${other.key} is: add \`kind: ${other.kind}\` to this dependsOn entry`
      : guess ? ` (did you mean "${guess}"?)` : someFileBroken ? ' (it may be in a file that has errors)' : '';
    add(atDependency(dep, 'UnknownDependency', `${dep.to} is not defined in any manifest${suffix}`, severity));
  }
  for (const dep of dependencies) {
    const target = defined.get(dep.to);
    if (dep.condition !== 'completed' || !target || !isProcessObject(target)) continue;
    const policy = target.spec.restartPolicy;
    if (policy !== 'Always' && policy !== 'UnlessStopped') continue;
    const message = `${dep.to} restarts after every exit (restartPolicy ${policy}), so it never stays completed; give it restartPolicy: Never or OnFailure, or depend on it being started or ready`;
    add(atDependency(dep, 'DependencyNeverCompletes', message));
  }
  // Edges of a losing duplicate definition would only confuse the cycle messages.
  const live = dependencies.filter((d) => defined.has(d.to) && defined.get(d.from)?.source.file === d.file);
  for (const cycle of findCycles(live)) {
    const files = new Set<string>();
    for (const edge of cycle) {
      if (files.has(edge.file)) continue;
      files.add(edge.file);
      add(atDependency(edge, 'DependencyCycle', `dependency cycle ${describeCycle(cycle, edge)}`));
    }
  }
  return assemble(files, added);
}

/** The file that defines each object the controller runs now; its definition wins a duplicate. */
export type Incumbents = ReadonlyMap<ObjectKey, string>;

// The running definitions first, so a newcomer (even one sorting earlier) is the duplicate.
function inIncumbentOrder(objects: readonly ManifestObject[], incumbents: Incumbents): ManifestObject[] {
  const rank = (o: ManifestObject): number => (running(o, incumbents) ? 0 : o.source.uid === 0 ? 1 : 2);
  return [0, 1, 2].flatMap((r) => objects.filter((o) => rank(o) === r));
}

const running = (o: ManifestObject, incumbents: Incumbents): boolean => incumbents.get(o.key) === o.source.file;

function duplicateMessage(object: ManifestObject, first: ManifestObject, incumbents: Incumbents): string {
  const rule = running(first, incumbents)
    ? 'the running definition is kept'
    : first.source.uid === 0 && object.source.uid !== 0
      ? `a root-owned definition wins over one owned by uid ${object.source.uid}`
      : 'the first definition in path order wins';
  return `${object.key} is already defined at ${where(first)}; ${rule} (rename this one or remove one of the two)`;
}

function assemble(files: readonly ManifestFileResult[], added: ReadonlyMap<string, Diagnostic[]>): ManifestSetResult {
  const checked = files.map((file): ManifestFileResult => {
    const extra = added.get(file.file);
    if (!extra) return file;
    const diagnostics = [...file.diagnostics, ...extra].sort(compareDiagnostics);
    return { ...file, diagnostics, ok: !hasErrors(diagnostics) };
  });
  const diagnostics = checked.flatMap((f) => f.diagnostics);
  return {
    files: checked,
    objects: checked.filter((f) => f.ok).flatMap((f) => f.objects),
    diagnostics,
    valid: !hasErrors(diagnostics),
  };
}

// A Process and a ProcessPool of one name would share instance ids; the earlier one in path order is the twin.
function instanceTwin(object: ManifestObject, defined: ReadonlyMap<ObjectKey, ManifestObject>): ManifestObject | undefined {
  if (object.kind !== 'Process' && object.kind !== 'ProcessPool') return undefined;
  return defined.get(objectKey(object.kind === 'Process' ? 'ProcessPool' : 'Process', object.name));
}

// `migrate` meant as a Job when only job/migrate exists: a dependsOn entry's kind defaults to Process.
function otherKindNamed(defined: ReadonlyMap<ObjectKey, ManifestObject>, name: string): ManifestObject | undefined {
  for (const object of defined.values()) if (object.name === name) return object;
  return undefined;
}

function where(object: ManifestObject): string {
  return `${object.source.file}:${object.source.line}:${object.source.col}`;
}

function atObject(object: ManifestObject, code: 'DuplicateObject' | 'MultipleNodes', message: string): Diagnostic {
  return makeDiagnostic({ code, file: object.source.file, at: object.source, path: ['metadata', 'name'], message });
}

function atDependency(dep: DependencyRef, code: 'UnknownDependency' | 'DependencyCycle' | 'DependencyNeverCompletes', message: string, severity: 'error' | 'warning' = 'error'): Diagnostic {
  return { code, severity, message, file: dep.file, line: dep.line, col: dep.col, path: dep.path };
}

// `process/b -> process/c -> process/a -> process/b`, starting at the given edge.
function describeCycle(cycle: readonly DependencyRef[], start: DependencyRef): string {
  const at = cycle.indexOf(start);
  const rotated = [...cycle.slice(at), ...cycle.slice(0, at)];
  return [...rotated.map((e) => e.from), start.from].join(' -> ');
}

/**
 * Each elementary cycle reachable by depth-first search, once, as its edges in order. A cycle
 * is reported from its first object in input order; a self-dependency is a cycle of one.
 */
function findCycles(edges: readonly DependencyRef[]): DependencyRef[][] {
  const out = new Map<ObjectKey, DependencyRef[]>();
  for (const edge of edges) out.set(edge.from, [...(out.get(edge.from) ?? []), edge]);
  const state = new Map<ObjectKey, 'active' | 'done'>();
  const stack: DependencyRef[] = [];
  const cycles: DependencyRef[][] = [];
  const visit = (key: ObjectKey): void => {
    state.set(key, 'active');
    for (const edge of out.get(key) ?? []) {
      const target = state.get(edge.to);
      if (target === 'active') {
        const from = stack.findIndex((e) => e.from === edge.to);
        cycles.push([...(from === -1 ? [] : stack.slice(from)), edge]);
      } else if (target === undefined) {
        stack.push(edge);
        visit(edge.to);
        stack.pop();
      }
    }
    state.set(key, 'done');
  };
  for (const key of out.keys()) if (!state.has(key)) visit(key);
  return cycles;
}
