/**
 * Source units to tend's: durations to `10s`/`1500ms` strings, sizes to Kubernetes quantities,
 * signals to their `SIG` names. Each returns undefined for text it cannot read.
 */

/** Milliseconds as a tend duration: the largest unit that divides it (`90000` → `90s`). */
export function durationOf(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0';
  const whole = Math.round(ms);
  if (whole % 3_600_000 === 0) return `${whole / 3_600_000}h`;
  if (whole % 60_000 === 0) return `${whole / 60_000}m`;
  if (whole % 1000 === 0) return `${whole / 1000}s`;
  return `${whole}ms`;
}

const GO_UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go/Compose duration (`1m30s`, `500ms`, `10s`) in milliseconds. */
export function parseGoDuration(text: string): number | undefined {
  const parts = [...text.trim().matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (GO_UNITS[p[2] ?? ''] ?? 0), 0);
}

/**
 * A byte size with a one-letter (or two-letter) binary unit as Docker, PM2 and supervisord write
 * them (`512m`, `1G`, `50MB`, `300K`: powers of 1024) as a Kubernetes quantity (`512Mi`).
 */
export function binaryQuantity(text: string): string | undefined {
  const m = /^([0-9]+)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? '').toUpperCase();
  return unit === '' ? m[1] : `${m[1]}${unit === 'K' ? 'Ki' : `${unit}i`}`;
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGKILL'] as const;
const SIGNAL_NUMBERS: Readonly<Record<number, string>> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 9: 'SIGKILL', 10: 'SIGUSR1', 12: 'SIGUSR2', 15: 'SIGTERM', 28: 'SIGWINCH' };

/** `TERM`, `SIGTERM`, `15` as the signal name tend's `stop.signal` takes; undefined if it takes none. */
export function signalName(text: string | number): string | undefined {
  if (typeof text === 'number' || /^[0-9]+$/.test(text)) return SIGNAL_NUMBERS[Number(text)];
  const upper = text.trim().toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return (SIGNALS as readonly string[]).includes(name) ? name : undefined;
}

/** The list of signals `stop.signal` takes, for messages. */
export const STOP_SIGNALS: readonly string[] = SIGNALS;
