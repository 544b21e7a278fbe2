/**
 * The shape of the field rules: for every field a manifest can hold, whether the rendered
 * objects carry it and, if not, why. Pure data and small pure functions.
 */
import type { FieldPath } from '../../manifest/diagnostics.ts';
import type { RenderSource } from './model.ts';
import type { WorkloadKind } from './workload-kind.ts';

/** What a rule sees besides the field's value. */
export interface RuleContext {
  readonly source: RenderSource;
  /** The workload the object becomes; undefined for a Node. */
  readonly workload: WorkloadKind | undefined;
  /** The program fields (the spec, or a pool's template). */
  readonly program: Readonly<Record<string, unknown>>;
  /** Why a `dependsOn` entry cannot be rendered, or undefined when it can. */
  readonly dependencyDrop: (entry: unknown) => string | undefined;
}

/**
 * A field's fate: `field` (rendered as a whole), `each` (a map or list whose entries have rules
 * of their own, under `<path>.<key>` or `<path>.*`), or `drop` with the reason. A function
 * decides from the value, the object and the field's path.
 */
export type Rule = 'field' | 'each' | { readonly drop: string } | ((value: unknown, context: RuleContext, path: FieldPath) => Rule);

/** Rules by dotted pattern; `*` stands for any list index or map key. */
export type RuleTable = Readonly<Record<string, Rule>>;

/** A field that is never rendered, with the reason. */
export function drop(why: string): Rule {
  return { drop: why };
}

/** Rendered when `test` holds, else dropped with `why`. */
export function when(test: (value: unknown, context: RuleContext) => boolean, why: string | ((value: unknown) => string)): Rule {
  return (value, context) => (test(value, context) ? 'field' : { drop: typeof why === 'string' ? why : why(value) });
}

/** Prefixes every pattern of a table. */
export function under(prefix: string, table: RuleTable): RuleTable {
  return Object.fromEntries(Object.entries(table).map(([pattern, rule]) => [`${prefix}.${pattern}`, rule]));
}
