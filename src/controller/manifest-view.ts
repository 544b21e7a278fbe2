/**
 * An object's spec as its manifest wrote it (durations like `10s`, quantities like `256Mi`),
 * with secret env values redacted: what `describe` shows, so it reads like the file.
 *
 * Owns: the redaction of the spec as written. Must not: normalise anything.
 */
import type { ManifestObject } from '../model/object.ts';

/** What a secret value is shown as. */
const HIDDEN = '(redacted)';

/** The spec as written, secret env values (and the fallback's) replaced. */
export function manifestView(object: ManifestObject): Record<string, unknown> {
  const spec = object.spec as { raw?: Readonly<Record<string, unknown>>; secretEnv?: readonly string[] };
  const raw = spec.raw ?? (object.spec as Readonly<Record<string, unknown>>);
  const out: Record<string, unknown> = { ...raw };
  if (isRecord(raw.env)) out.env = redactEnv(raw.env, spec.secretEnv ?? []);
  const recovery = raw.recovery;
  if (isRecord(recovery) && isRecord(recovery.fallback) && isRecord(recovery.fallback.env)) {
    out.recovery = { ...recovery, fallback: { ...recovery.fallback, env: redactEnv(recovery.fallback.env, []) } };
  }
  if (isRecord(raw.template) && isRecord(raw.template.env)) out.template = { ...raw.template, env: redactEnv(raw.template.env, spec.secretEnv ?? []) };
  return out;
}

// `{value, secret: true}` entries and names listed as secret are hidden; plain values stay.
function redactEnv(env: Readonly<Record<string, unknown>>, secret: readonly string[]): Record<string, unknown> {
  const names = new Set(secret);
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, names.has(k) || (isRecord(v) && v.secret === true) ? HIDDEN : v]));
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
