/**
 * Keeping secret env values out of what tend writes: error texts and the state file. A value is
 * secret when its name is in a program's `secretEnv` (every envFrom name and env entries marked
 * `secret: true`). Pure.
 */

/** What a secret value is replaced with in a message. */
export const SECRET_IN_MESSAGE = '[secret]';

/**
 * What a secret value is replaced with in the state file. It starts with NUL, which no real
 * value can hold (validation refuses it), so a program is never started with it by mistake.
 */
export const WITHHELD_SECRET = '\u0000tend:secret-not-stored';

/**
 * `text` with every secret value of `program` replaced, and Node's "Received ..." echo of an
 * invalid argument cut (it quotes the value, escaped, so it cannot be matched reliably).
 * @example redactSecrets('bad value s3cret', { env: { T: 's3cret' }, secretEnv: ['T'] }) // 'bad value [secret]'
 */
export function redactSecrets(text: string, program: { readonly env: Readonly<Record<string, string>>; readonly secretEnv: readonly string[] }): string {
  const cut = text.replace(/\.?\s*Received\b[\s\S]*$/, '');
  const values = program.secretEnv.map((name) => program.env[name] ?? '').filter((v) => v !== '');
  return values.sort((a, b) => b.length - a.length).reduce((out, value) => out.split(value).join(SECRET_IN_MESSAGE), cut);
}

/**
 * `value` (a manifest object, or anything holding one) with every secret env value replaced by
 * {@link WITHHELD_SECRET}: in normalised programs (`env` with `secretEnv`) and in the spec as
 * written (`env: {NAME: {value, secret: true}}`). Only the objects and arrays on the way to a
 * secret are copied; what holds none is shared with `value`.
 */
export function withholdSecrets<T>(value: T): T {
  return withhold(value) as T;
}

// Manifest objects are never mutated: each one's copy is made once and handed out again, so the
// state file's copy of an unchanged object is the same object as at the last save.
const withheldObjects = new WeakMap<object, object>();

/** {@link withholdSecrets} of each of `objects`, each made once per object (objects are never mutated). */
export function withholdSecretsOfEach<T extends object>(objects: readonly T[]): T[] {
  return objects.map((object) => {
    let copy = withheldObjects.get(object);
    if (copy === undefined) withheldObjects.set(object, (copy = withhold(object) as object));
    return copy as T;
  });
}

// Copies only what holds a secret: an object or array with none in it is handed back as it is.
function withhold(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value as readonly unknown[];
    let out: unknown[] | undefined;
    items.forEach((item, index) => {
      const next = withhold(item);
      if (next !== item) (out ??= [...items])[index] = next;
    });
    return out ?? items;
  }
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Readonly<Record<string, unknown>>;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const field = record[key];
    const next = key === 'env' ? withheldEnv(field, record.secretEnv) : withhold(field);
    if (next !== field) (out ??= { ...record })[key] = next;
  }
  return out ?? value;
}

function withheldEnv(env: unknown, secretEnv: unknown): unknown {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return env;
  const names = Array.isArray(secretEnv) ? new Set(secretEnv.filter((n): n is string => typeof n === 'string')) : undefined;
  let out: Record<string, unknown> | undefined;
  for (const [name, entry] of Object.entries(env as Record<string, unknown>)) {
    const next = isMarkedSecret(entry) ? { ...entry, value: WITHHELD_SECRET } : names?.has(name) ? WITHHELD_SECRET : entry;
    if (next !== entry) (out ??= { ...(env as Record<string, unknown>) })[name] = next;
  }
  return out ?? env;
}

function isMarkedSecret(entry: unknown): entry is { readonly value: unknown; readonly secret: true } {
  return typeof entry === 'object' && entry !== null && (entry as { secret?: unknown }).secret === true;
}

/** Names of env entries whose value was withheld from the state file. */
export function withheldNames(env: Readonly<Record<string, string>>): string[] {
  return Object.keys(env).filter((name) => env[name] === WITHHELD_SECRET);
}
