/**
 * process-compose `readiness_probe` and `liveness_probe` as tend probes: `exec.command` runs
 * through the file's shell, `http_get` becomes a URL, the `*_seconds` fields durations.
 */
import { FieldReader, notUsable } from './reader.ts';
import { durationOf } from './units.ts';

type Spec = Record<string, unknown>;

/** The shell process-compose runs commands with. */
export interface Shell {
  readonly command: string;
  readonly argument: string;
}

/** The probes of process `p`. */
export function probesOf(p: FieldReader, shell: Shell): Spec {
  const out: Spec = {};
  for (const [key, kind] of [['readiness_probe', 'readiness'], ['liveness_probe', 'liveness']] as const) {
    const entry = p.take(key);
    if (!entry) continue;
    if (entry.value.t !== 'map') {
      p.reject(entry, notUsable(entry.value, 'a probe'));
      continue;
    }
    const probe = probeOf(new FieldReader(entry.value, p.field(key), p.ledger), shell);
    if (probe) out[kind] = probe;
  }
  return out;
}

function probeOf(r: FieldReader, shell: Shell): Spec | undefined {
  const check = execCheck(r, shell) ?? httpCheck(r);
  const probe: Spec = { ...(check ?? {}) };
  const seconds = (key: string, to: string): void => {
    const n = r.num(key);
    if (n !== undefined) probe[to] = durationOf(n * 1000);
  };
  seconds('initial_delay_seconds', 'initialDelay');
  seconds('period_seconds', 'period');
  seconds('timeout_seconds', 'timeout');
  const success = r.num('success_threshold');
  if (success !== undefined) probe.successThreshold = success;
  const failure = r.num('failure_threshold');
  if (failure !== undefined) probe.failureThreshold = failure;
  r.rest();
  return check ? probe : undefined;
}

function execCheck(r: FieldReader, shell: Shell): Spec | undefined {
  const entry = r.take('exec');
  if (!entry || entry.value.t !== 'map') return undefined;
  const e = new FieldReader(entry.value, r.field('exec'), r.ledger);
  const command = e.str('command');
  e.drop('working_dir', 'tend runs exec probes in the instance\'s working dir');
  e.rest();
  return command !== undefined ? { exec: [shell.command, shell.argument, command] } : undefined;
}

function httpCheck(r: FieldReader): Spec | undefined {
  const entry = r.take('http_get');
  if (!entry || entry.value.t !== 'map') return undefined;
  const h = new FieldReader(entry.value, r.field('http_get'), r.ledger);
  const scheme = h.str('scheme') ?? 'http';
  const host = h.str('host') ?? '127.0.0.1';
  const port = h.num('port');
  const path = h.str('path') ?? '/';
  h.rest();
  return { http: { url: `${scheme}://${host}${port !== undefined ? `:${port}` : ''}${path.startsWith('/') ? path : `/${path}`}` } };
}
