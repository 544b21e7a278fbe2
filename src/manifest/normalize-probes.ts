/**
 * Probes of a validated Process spec to `ProbeSet`: the check, durations in ms, and the
 * schema's defaults filled in. Pure; trusts that the document passed the schema.
 */
import type { ProbeCheck, ProbeKind, ProbeSet, ProbeSpec } from '../model/health.ts';
import { PROBE_KINDS } from '../model/health.ts';

type Duration = string | number;

/** A probe as the schema lets users write it. */
export interface ProbeInput {
  readonly exec?: readonly string[];
  readonly http?: { readonly url: string; readonly headers?: Readonly<Record<string, string>> };
  readonly tcp?: { readonly port: number; readonly host?: string };
  readonly initialDelay?: Duration;
  readonly period?: Duration;
  readonly timeout?: Duration;
  readonly successThreshold?: number;
  readonly failureThreshold?: number;
}

/** Probe defaults, as the schema records them (a test keeps the two equal). Durations in ms. */
export const PROBE_DEFAULTS = {
  initialDelayMs: 0,
  periodMs: 10_000,
  timeoutMs: 1_000,
  successThreshold: 1,
  failureThreshold: 3,
  tcpHost: '127.0.0.1',
} as const;

/** Converts a validated duration to ms (the caller's converter, which throws on a bug). */
export type ToMs = (value: Duration | undefined, fallback: number) => number;

/** Normalises `probes`; kinds not written are absent. */
export function normalizeProbes(input: Readonly<Partial<Record<ProbeKind, ProbeInput>>> | undefined, ms: ToMs): ProbeSet {
  const probes: Partial<Record<ProbeKind, ProbeSpec>> = {};
  for (const kind of PROBE_KINDS) {
    const probe = input?.[kind];
    if (probe) probes[kind] = normalizeProbe(probe, ms);
  }
  return probes;
}

function normalizeProbe(probe: ProbeInput, ms: ToMs): ProbeSpec {
  const d = PROBE_DEFAULTS;
  return {
    check: checkOf(probe),
    initialDelayMs: ms(probe.initialDelay, d.initialDelayMs),
    periodMs: Math.max(1, ms(probe.period, d.periodMs)),
    timeoutMs: Math.max(1, ms(probe.timeout, d.timeoutMs)),
    successThreshold: probe.successThreshold ?? d.successThreshold,
    failureThreshold: probe.failureThreshold ?? d.failureThreshold,
  };
}

// Exactly one of exec, http, tcp (the schema's oneOf).
function checkOf(probe: ProbeInput): ProbeCheck {
  if (probe.exec) return { type: 'exec', command: [...probe.exec] };
  if (probe.http) return { type: 'http', url: probe.http.url, headers: { ...probe.http.headers } };
  const tcp = probe.tcp ?? { port: 0 };
  return { type: 'tcp', host: tcp.host ?? PROBE_DEFAULTS.tcpHost, port: tcp.port };
}
