/**
 * Probes and lifecycle hooks in Kubernetes form. An HTTP or TCP check of 127.0.0.1 or
 * localhost checks the pod itself, so the host is left to Kubernetes (the pod's IP). Pure.
 */
import { ceilSeconds, durationMs } from './units.ts';

interface ProbeInput {
  readonly exec?: readonly string[];
  readonly http?: { readonly url: string; readonly headers?: Readonly<Record<string, string>> };
  readonly tcp?: { readonly port: number; readonly host?: string };
  readonly initialDelay?: string | number;
  readonly period?: string | number;
  readonly timeout?: string | number;
  readonly failureThreshold?: number;
  readonly successThreshold?: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The container's `startupProbe`, `livenessProbe` and `readinessProbe`. */
export function renderProbes(probes: unknown): Record<string, unknown> {
  const input = (probes ?? {}) as Readonly<Partial<Record<'startup' | 'liveness' | 'readiness', ProbeInput>>>;
  const out: Record<string, unknown> = {};
  if (input.startup) out.startupProbe = renderProbe(input.startup, false);
  if (input.liveness) out.livenessProbe = renderProbe(input.liveness, false);
  if (input.readiness) out.readinessProbe = renderProbe(input.readiness, true);
  return out;
}

// tend's defaults (period 10s, timeout 1s, failureThreshold 3) are Kubernetes' own; the values are written out anyway.
function renderProbe(probe: ProbeInput, readiness: boolean): Record<string, unknown> {
  return {
    ...check(probe),
    initialDelaySeconds: ceilSeconds(probe.initialDelay ?? 0),
    periodSeconds: Math.max(1, ceilSeconds(probe.period ?? '10s')),
    timeoutSeconds: Math.max(1, ceilSeconds(probe.timeout ?? '1s')),
    failureThreshold: probe.failureThreshold ?? 3,
    successThreshold: readiness ? (probe.successThreshold ?? 1) : 1,
  };
}

function check(probe: ProbeInput): Record<string, unknown> {
  if (probe.exec) return { exec: { command: [...probe.exec] } };
  if (probe.tcp) return { tcpSocket: { port: probe.tcp.port, ...host(probe.tcp.host) } };
  if (probe.http) return { httpGet: httpGet(probe.http.url, probe.http.headers) };
  return {};
}

function httpGet(text: string, headers: Readonly<Record<string, string>> | undefined): Record<string, unknown> {
  const url = new URL(text);
  const scheme = url.protocol === 'https:' ? 'HTTPS' : 'HTTP';
  const port = url.port ? Number(url.port) : scheme === 'HTTPS' ? 443 : 80;
  const httpHeaders = Object.keys(headers ?? {}).sort().map((name) => ({ name, value: headers?.[name] ?? '' }));
  return {
    scheme,
    port,
    path: `${url.pathname}${url.search}`,
    ...host(url.hostname),
    ...(httpHeaders.length > 0 ? { httpHeaders } : {}),
  };
}

function host(name: string | undefined): { host?: string } {
  return name === undefined || LOOPBACK.has(name) ? {} : { host: name };
}

interface HookInput {
  readonly exec: readonly string[];
}

/** `lifecycle.postStart` and `preStop` as container lifecycle handlers (preStart is an init container). */
export function renderLifecycle(lifecycle: unknown): Record<string, unknown> | undefined {
  const input = (lifecycle ?? {}) as Readonly<Partial<Record<'postStart' | 'preStop', HookInput>>>;
  const out: Record<string, unknown> = {};
  if (input.postStart) out.postStart = { exec: { command: [...input.postStart.exec] } };
  if (input.preStop) out.preStop = { exec: { command: [...input.preStop.exec] } };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `stop.gracePeriod` (default 10s) as terminationGracePeriodSeconds. */
export function gracePeriodSeconds(stop: unknown): number {
  const period = (stop as { gracePeriod?: string | number } | undefined)?.gracePeriod ?? '10s';
  return durationMs(period) === 0 ? 0 : ceilSeconds(period);
}
