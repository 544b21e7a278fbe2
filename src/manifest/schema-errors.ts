/**
 * ajv errors to manifest problems: one problem per wrong field, saying what was expected and
 * what was found, with "did you mean" for enum values, unknown fields and names. Owns the
 * reading of ajv's error objects (verbose mode) and of the schemas' `errorMessage` keyword;
 * knows nothing of YAML positions.
 */
import type { AnySchemaObject, ErrorObject } from 'ajv';
import { isAmountBound } from './amount-keyword.ts';
import { describeValue, didYouMean, formatPath } from './diagnostics.ts';
import type { FieldPath, Problem } from './diagnostics.ts';

/** A problem plus whether it came from a schema's own `errorMessage` (preferred over generic ones). */
interface Found {
  readonly problem: Problem;
  readonly preferred: boolean;
}

/**
 * Problems for the errors of one validation of `root` (`allErrors` and `verbose` on).
 * `if` errors are dropped (their `then`/`else` errors say what is wrong); `anyOf`/`oneOf`
 * errors are folded with their branch errors into one problem.
 */
export function schemaProblems(errors: readonly ErrorObject[], root: unknown): readonly Problem[] {
  // A string over its amount says that; its length too would only repeat it.
  const overAmount = new Set(errors.filter((e) => e.keyword === 'maxAmount').map((e) => e.instancePath));
  const relevant = errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'propertyNames' && !(e.keyword === 'maxLength' && overAmount.has(e.instancePath)));
  return dedupe(reduce(relevant, root));
}

function reduce(errors: readonly ErrorObject[], root: unknown): Found[] {
  const combinators = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  const consumed = new Set<ErrorObject>();
  const found: Found[] = [];
  for (const combinator of combinators) {
    if (consumed.has(combinator)) continue;
    const inner = errors.filter((e) => e !== combinator && isInside(e, combinator));
    consumed.add(combinator);
    for (const e of inner) consumed.add(e);
    found.push(...foldCombinator(combinator, inner, root));
  }
  for (const e of errors) if (!consumed.has(e)) found.push(describe(e, root));
  return found;
}

function isInside(e: ErrorObject, parent: ErrorObject): boolean {
  const samePlace = e.instancePath === parent.instancePath || e.instancePath.startsWith(`${parent.instancePath}/`);
  return samePlace && e.schemaPath.startsWith(`${parent.schemaPath}/`);
}

// One branch whose type fits: its errors are the real ones. Otherwise say which forms are allowed.
function foldCombinator(combinator: ErrorObject, inner: readonly ErrorObject[], root: unknown): Found[] {
  const custom = errorMessageOf(combinator.parentSchema);
  const passing: unknown = (combinator.params as { passingSchemas?: unknown }).passingSchemas;
  if (combinator.keyword === 'oneOf' && Array.isArray(passing)) {
    return [valueProblem(combinator, root, custom ?? 'must match exactly one of the allowed forms', custom !== undefined)];
  }
  const branches = new Map<string, ErrorObject[]>();
  for (const e of inner) {
    const branch = e.schemaPath.slice(combinator.schemaPath.length + 1).split('/')[0] ?? '';
    branches.set(branch, [...(branches.get(branch) ?? []), e]);
  }
  const fitting = [...branches.values()].filter(
    (list) => !list.some((e) => e.keyword === 'type' && e.instancePath === combinator.instancePath),
  );
  const [only] = fitting;
  if (fitting.length === 1 && only) return reduce(only, root);
  if (custom) return [valueProblem(combinator, root, custom, true)];
  const forms = Array.isArray(combinator.schema) ? combinator.schema.map((s) => describeForm(s as AnySchemaObject)) : [];
  return [valueProblem(combinator, root, `must be ${forms.join(' or ') || 'a valid value'}`, false)];
}

function describeForm(schema: AnySchemaObject): string {
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map(String).join(', ')}`;
  if (schema.type !== undefined) return typeNames(schema.type);
  return 'a valid value';
}

function describe(e: ErrorObject, root: unknown): Found {
  const path = instancePath(e.instancePath, root);
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') return unknownField(e, [...path, String(params.additionalProperty)]);
  if (e.keyword === 'required') {
    const problem: Problem = { code: 'ManifestInvalid', severity: 'error', path, message: `missing required field ${JSON.stringify(params.missingProperty)}` };
    return { problem, preferred: false };
  }
  if (e.propertyName !== undefined) {
    const message = errorMessageOf(e.parentSchema) ?? `invalid name (${keywordMessage(e)})`;
    return { problem: { code: 'ManifestInvalid', severity: 'error', path: [...path, e.propertyName], message }, preferred: true };
  }
  // A bound that was passed says so with its limit, whatever the field's own message says of its form.
  if (isBound(e)) return valueProblem(e, root, keywordMessage(e), true);
  const huge = hugeNumberMessage(e, valueAt(root, path));
  if (huge) return valueProblem(e, root, huge, true);
  const custom = errorMessageOf(e.parentSchema);
  return valueProblem(e, root, custom ?? keywordMessage(e), custom !== undefined);
}

// The schemas' pattern for strings that reach the kernel (argv, env, paths).
const NO_NUL = '^[^\\u0000]*$';

const BOUND_KEYWORDS: ReadonlySet<string> = new Set(['maxAmount', 'maxLength', 'maxItems', 'maxProperties']);

// `maximum: 0` only says "no bare number but 0" (durations); every other maximum is a bound.
function isBound(e: ErrorObject): boolean {
  return BOUND_KEYWORDS.has(e.keyword) || (e.keyword === 'maximum' && (e.params as { limit?: unknown }).limit !== 0);
}

function unknownField(e: ErrorObject, path: FieldPath): Found {
  const field = String(path[path.length - 1]);
  const properties: unknown = e.parentSchema?.properties;
  const allowed = typeof properties === 'object' && properties !== null ? Object.keys(properties) : [];
  const guess = didYouMean(field, allowed);
  const hint = guess ? ` (did you mean ${JSON.stringify(guess)}?)` : allowed.length > 0 && allowed.length <= 8 ? ` (allowed: ${allowed.join(', ')})` : '';
  return { problem: { code: 'UnknownField', severity: 'error', path, message: `unknown field${hint}` }, preferred: false };
}

function valueProblem(e: ErrorObject, root: unknown, expected: string, preferred: boolean): Found {
  const path = instancePath(e.instancePath, root);
  const found = valueAt(root, path);
  const isName = formatPath(path) === 'metadata.name';
  const candidates = e.keyword === 'enum' ? (e.params as { allowedValues: unknown[] }).allowedValues.map(String) : [];
  const guess = typeof found !== 'string' ? undefined : isName ? dnsLabelFor(found) : didYouMean(found, candidates);
  const hint = guess ? `; did you mean ${JSON.stringify(guess)}?` : '';
  const shown = isSecret(root, path) ? 'a secret value' : describeValue(found);
  const message = `${expected} (got ${shown}${hint})`;
  return { problem: { code: isName ? 'InvalidName' : 'ManifestInvalid', severity: 'error', path, message }, preferred };
}

// `{value: ..., secret: true}`: its value never appears in a message.
function isSecret(root: unknown, path: FieldPath): boolean {
  const holder = valueAt(root, path.slice(0, -1));
  return path[path.length - 1] === 'value' && typeof holder === 'object' && holder !== null && (holder as { secret?: unknown }).secret === true;
}

// YAML reads a number of 309 digits or more as Infinity, which fails `type` before any bound.
function hugeNumberMessage(e: ErrorObject, found: unknown): string | undefined {
  if (e.keyword !== 'type' || typeof found !== 'number' || Number.isFinite(found)) return undefined;
  const limit: unknown = e.parentSchema?.maximum;
  return typeof limit === 'number' && limit > 0 ? `must be at most ${limit}` : undefined;
}

function keywordMessage(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type': return `must be ${typeNames(p.type)}`;
    case 'enum': {
      const values = (p.allowedValues as unknown[]).map(String);
      return values.length === 1 ? `must be ${JSON.stringify(values[0])}` : `must be one of ${values.join(', ')}`;
    }
    case 'const': return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'minimum': return `must be at least ${String(p.limit)}`;
    case 'maximum': return `must be at most ${String(p.limit)}`;
    case 'exclusiveMinimum': return `must be greater than ${String(p.limit)}`;
    case 'exclusiveMaximum': return `must be less than ${String(p.limit)}`;
    case 'minItems': return p.limit === 1 ? 'must not be empty' : `must have at least ${String(p.limit)} items`;
    case 'maxItems': return `must have at most ${String(p.limit)} items`;
    case 'maxProperties': return `must have at most ${String(p.limit)} entries`;
    case 'maxAmount': return isAmountBound(e.schema) ? `must be at most ${e.schema.text}` : 'is too large';
    case 'minLength': return p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters`;
    case 'maxLength': return `must be at most ${String(p.limit)} characters`;
    case 'pattern': return p.pattern === NO_NUL ? 'must not contain a NUL character' : `must match ${String(p.pattern)}`;
    default: return e.message ?? `is invalid (${e.keyword})`;
  }
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false',
  array: 'a list', object: 'a mapping', null: 'null',
};

function typeNames(type: unknown): string {
  const list = (Array.isArray(type) ? type : [type]).map((t) => TYPE_NAMES[String(t)] ?? String(t));
  return list.length <= 2 ? list.join(' or ') : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1] ?? ''}`;
}

function errorMessageOf(schema: AnySchemaObject | undefined): string | undefined {
  const message: unknown = schema?.errorMessage;
  return typeof message === 'string' ? message : undefined;
}

// `Web_Server` -> `web-server`: the nearest valid DNS-1123 label, if it differs.
function dnsLabelFor(name: string): string | undefined {
  const label = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+/, '').slice(0, 63).replace(/-+$/, '');
  return label && label !== name ? label : undefined;
}

// JSON pointer to path segments; indexes of lists become numbers.
function instancePath(pointer: string, root: unknown): FieldPath {
  const path: (string | number)[] = [];
  let current = root;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key = Array.isArray(current) ? Number(segment) : segment;
    path.push(key);
    current = valueAt(current, [key]);
  }
  return path;
}

function valueAt(root: unknown, path: FieldPath): unknown {
  let current = root;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = Object.hasOwn(current, key) ? (current as Record<string | number, unknown>)[key] : undefined;
  }
  return current;
}

// One problem per place: a schema's own message wins over generic ones at the same field.
function dedupe(found: readonly Found[]): Problem[] {
  const preferredAt = new Set(found.filter((f) => f.preferred).map((f) => formatPath(f.problem.path)));
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const { problem, preferred } of found) {
    const where = formatPath(problem.path);
    if (!preferred && problem.code === 'ManifestInvalid' && preferredAt.has(where)) continue;
    const id = `${where}\u0000${problem.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(problem);
  }
  return out;
}
