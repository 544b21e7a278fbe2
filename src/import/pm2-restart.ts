/**
 * PM2's restart settings as tend's: `autorestart` and `stop_exit_codes` as the restart policy,
 * `restart_delay` / `exp_backoff_restart_delay` as the backoff (PM2's curve: ×1.5 up to 15 s,
 * reset after 30 s up), and "`max_restarts` unstable restarts, each a run shorter than
 * `min_uptime`" as a circuit breaker.
 */
import type { FieldReader } from './reader.ts';
import { notUsable } from './reader.ts';
import type { SourceNode } from './tree.ts';
import { durationOf } from './units.ts';

type Spec = Record<string, unknown>;

const PM2_DEFAULT_MIN_UPTIME_MS = 1000;
const PM2_DEFAULT_MAX_RESTARTS = 16;
const PM2_EXP_BACKOFF = { multiplier: 1.5, maxDelay: '15s', resetAfter: '30s' } as const;
/** PM2 leaves an errored app stopped until `pm2 restart`; tend's circuit tries again after this. */
const ERRORED_COOLDOWN = '1h';

/** The restart policy, backoff and circuit breaker of an app. */
export function restartOf(app: FieldReader, notes: string[]): Spec {
  const out: Spec = {};
  const autorestart = app.bool('autorestart');
  const stopCodes = app.raw('stop_exit_codes');
  out.restartPolicy = autorestart === false ? 'Never' : stopCodesPolicy(app, stopCodes);
  const max = app.num('max_restarts');
  const minUptime = msOf(app, 'min_uptime');
  const backoff = backoffOf(app, minUptime ?? PM2_DEFAULT_MIN_UPTIME_MS);
  if (out.restartPolicy !== 'Never') out.backoff = backoff.spec;
  if (max !== undefined || minUptime !== undefined) {
    out.circuitBreaker = breakerOf(max ?? PM2_DEFAULT_MAX_RESTARTS, minUptime ?? PM2_DEFAULT_MIN_UPTIME_MS, backoff.spacingMs, notes);
  }
  return out;
}

// `stop_exit_codes: [0]` (exit 0 is not restarted) is tend's OnFailure; other codes cannot be told apart.
function stopCodesPolicy(app: FieldReader, node: SourceNode | undefined): string {
  if (!node) return 'Always';
  const codes = node.t === 'seq' ? node.items.map((i) => (i.t === 'scalar' ? Number(i.value) : NaN)) : [node.t === 'scalar' ? Number(node.value) : NaN];
  if (codes.length === 1 && codes[0] === 0) return 'OnFailure';
  app.ledger.drop(node.line, app.field('stop_exit_codes'), 'tend restarts on every exit (Always) or on every non-zero exit (OnFailure); only [0] maps (OnFailure), so Always is kept');
  return 'Always';
}

// The backoff and how far apart restarts of a crash loop are (for the circuit's window).
function backoffOf(app: FieldReader, minUptimeMs: number): { spec: Spec; spacingMs: number } {
  const expEntry = app.node.entries.find((e) => e.key === 'exp_backoff_restart_delay');
  const exp = app.num('exp_backoff_restart_delay');
  const delay = app.num('restart_delay');
  if (exp !== undefined && delay === undefined) {
    const { multiplier, maxDelay, resetAfter } = PM2_EXP_BACKOFF;
    return { spec: { strategy: 'exponential', initialDelay: durationOf(exp), maxDelay, multiplier, jitter: 0, resetAfter }, spacingMs: 15_000 };
  }
  if (exp !== undefined && expEntry) app.reject(expEntry, 'restart_delay is set too and wins in PM2; the fixed delay is kept');
  return { spec: { strategy: 'fixed', initialDelay: durationOf(delay ?? 0), jitter: 0, resetAfter: durationOf(minUptimeMs) }, spacingMs: delay ?? 0 };
}

// PM2 stops restarting after `max_restarts` unstable restarts in a row, each a run shorter than
// `min_uptime`: so many failures inside max_restarts × (min_uptime + delay) open the circuit.
function breakerOf(max: number, uptimeMs: number, spacingMs: number, notes: string[]): Spec {
  const failures = Math.max(1, max);
  const window = failures * (uptimeMs + spacingMs);
  notes.push(`max_restarts ${max} within min_uptime ${durationOf(uptimeMs)}: the circuit opens at failure ${failures} inside ${durationOf(window)}; PM2 then waits for \`pm2 restart\`, tend tries again after ${ERRORED_COOLDOWN} (or \`tend restart\`).`);
  return { maxFailures: failures, window: durationOf(window), cooldown: ERRORED_COOLDOWN };
}

// PM2 durations: a number of ms, or text with a unit (`30s`, `5m`, `1h`).
function msOf(app: FieldReader, key: string): number | undefined {
  const entry = app.take(key);
  if (!entry) return undefined;
  const v = entry.value;
  const m = v.t === 'scalar' ? /^([0-9.]+)\s*(ms|s|m|h)?$/.exec(String(v.value)) : null;
  if (m) return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms'] ?? 1);
  app.reject(entry, notUsable(v, 'a number of ms or a duration like 30s'));
  return undefined;
}
