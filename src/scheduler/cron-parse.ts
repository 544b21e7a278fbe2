/**
 * Five-field cron expressions (`minute hour day-of-month month day-of-week`), Vixie cron dialect:
 * `*`, lists, ranges, steps (`*\/15`, `1-30/2`, `5/10` meaning `5-max/10`), month and weekday
 * names (`jan`, `mon`, case-insensitive), Sunday as 0 or 7, and the macros `@yearly`,
 * `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`.
 *
 * Owns: turning the text into sets of allowed values, and saying precisely what is wrong.
 * Must not: throw on bad input (a manifest problem is data) or know about time zones.
 */

/** The fields of a cron expression, named as diagnostics name them. */
export type CronField = 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week';

/** A parsed expression: for each field, whether each value is allowed (index = value). */
export interface CronSchedule {
  readonly source: string;
  readonly minutes: readonly boolean[];
  readonly hours: readonly boolean[];
  readonly daysOfMonth: readonly boolean[];
  readonly months: readonly boolean[];
  /** 0 = Sunday ... 6 = Saturday (7 is folded into 0). */
  readonly daysOfWeek: readonly boolean[];
  /**
   * Vixie cron: when both day fields are restricted (do not start with `*`), a day matches if
   * either does; otherwise both must.
   */
  readonly daysOr: boolean;
}

/** What is wrong and where; `field` is `expression` for the shape of the whole text. */
export interface CronError {
  readonly field: CronField | 'expression';
  readonly message: string;
}

/** `parseCron`'s result: the schedule, or the first problem found. */
export type CronParseResult = { readonly ok: true; readonly schedule: CronSchedule } | { readonly ok: false; readonly error: CronError };

interface FieldSpec {
  readonly field: CronField;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const FIELDS: readonly FieldSpec[] = [
  { field: 'minute', min: 0, max: 59 },
  { field: 'hour', min: 0, max: 23 },
  { field: 'day-of-month', min: 1, max: 31 },
  { field: 'month', min: 1, max: 12, names: MONTHS },
  { field: 'day-of-week', min: 0, max: 7, names: DAYS },
];

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/**
 * Parses a cron expression.
 *
 * @example
 * parseCron('0 3 * * mon-fri');  // { ok: true, schedule: { ... } }
 * parseCron('0 24 * * *');       // { ok: false, error: { field: 'hour', message: 'hour "24": 24 is out of range 0-23' } }
 */
export function parseCron(text: string): CronParseResult {
  const trimmed = text.trim();
  const expanded = trimmed.startsWith('@') ? MACROS[trimmed.toLowerCase()] : trimmed;
  if (expanded === undefined) {
    return failure('expression', `unknown macro "${trimmed}"; expected one of ${Object.keys(MACROS).join(', ')}`);
  }
  const parts = expanded.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5) {
    return failure('expression', `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length} in "${trimmed}"`);
  }
  const sets: boolean[][] = [];
  for (const [i, spec] of FIELDS.entries()) {
    const parsed = parseField(parts[i] ?? '', spec);
    if (typeof parsed === 'string') return failure(spec.field, `${spec.field} "${parts[i] ?? ''}": ${parsed}`);
    sets.push(parsed);
  }
  return { ok: true, schedule: scheduleOf(trimmed, sets, parts) };
}

function scheduleOf(source: string, sets: readonly boolean[][], parts: readonly string[]): CronSchedule {
  const [minutes = [], hours = [], daysOfMonth = [], months = [], week = []] = sets;
  const daysOfWeek = week.slice(0, 7);
  if (week[7] === true) daysOfWeek[0] = true;
  const restricted = (text: string | undefined): boolean => text?.startsWith('*') !== true;
  return { source, minutes, hours, daysOfMonth, months, daysOfWeek, daysOr: restricted(parts[2]) && restricted(parts[4]) };
}

function failure(field: CronError['field'], message: string): CronParseResult {
  return { ok: false, error: { field, message } };
}

// The allowed values of one field, or what is wrong with it.
function parseField(text: string, spec: FieldSpec): boolean[] | string {
  const allowed = new Array<boolean>(spec.max + 1).fill(false);
  for (const item of text.split(',')) {
    const range = parseItem(item, spec);
    if (typeof range === 'string') return range;
    for (let v = range.from; v <= range.to; v += range.step) allowed[v] = true;
  }
  return allowed;
}

interface Range {
  readonly from: number;
  readonly to: number;
  readonly step: number;
}

// One list item: `*`, `v`, `a-b`, each optionally `/step`; `v/step` means `v-max/step`.
function parseItem(item: string, spec: FieldSpec): Range | string {
  if (item === '') return 'empty list item (two commas, or a comma at an end)';
  const [span = '', stepText, extra] = item.split('/');
  if (extra !== undefined) return `"${item}" has more than one "/"`;
  const step = stepText === undefined ? 1 : toNumber(stepText);
  if (step === undefined || step < 1) return `step "${stepText ?? ''}" in "${item}" must be a whole number of at least 1`;
  if (span === '*') return { from: spec.min, to: spec.max, step };
  const [fromText = '', toText, more] = span.split('-');
  if (more !== undefined) return `"${span}" is not a range; expected a-b`;
  const from = valueOf(fromText, spec);
  if (typeof from === 'string') return from;
  if (toText === undefined) return { from, to: stepText === undefined ? from : spec.max, step };
  const to = valueOf(toText, spec);
  if (typeof to === 'string') return to;
  if (to < from) return `range "${span}" goes backwards; write the smaller value first`;
  return { from, to, step };
}

function valueOf(text: string, spec: FieldSpec): number | string {
  const byName = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  const value = byName >= 0 ? byName + (spec.field === 'month' ? 1 : 0) : toNumber(text);
  if (value === undefined) {
    const names = spec.names === undefined ? '' : ` or a name (${spec.names.join(', ')})`;
    return `"${text}" is not a number${names}`;
  }
  if (value < spec.min || value > spec.max) return `${value} is out of range ${spec.min}-${spec.max}`;
  return value;
}

function toNumber(text: string): number | undefined {
  return /^\d{1,4}$/.test(text) ? Number(text) : undefined;
}
