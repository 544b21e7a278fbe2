/**
 * The parts of a Compose service that become tend checks and limits: `healthcheck` (a
 * readiness probe: Docker never restarts an unhealthy container, it only holds
 * `service_healthy` dependents, which is what readiness does in tend) and `deploy.resources`
 * (kernel-held limits, as Docker's cgroups hold them, and scheduler requests).
 */
import { FieldReader, notUsable } from './reader.ts';
import type { SourceNode } from './tree.ts';
import { binaryQuantity, durationOf, parseGoDuration } from './units.ts';

type Spec = Record<string, unknown>;

/** Docker's healthcheck defaults. */
const HEALTH_DEFAULTS = { interval: 30_000, timeout: 30_000, retries: 3 } as const;

/** A `healthcheck` as a readiness probe; undefined when it is disabled or unusable. */
export function readinessOf(hc: FieldReader): Spec | undefined {
  const disabled = hc.bool('disable') === true;
  const exec = testCommand(hc);
  const period = goDuration(hc, 'interval') ?? HEALTH_DEFAULTS.interval;
  const timeout = goDuration(hc, 'timeout') ?? HEALTH_DEFAULTS.timeout;
  const retries = hc.num('retries') ?? HEALTH_DEFAULTS.retries;
  hc.drop('start_period', 'failures before the first success never make a tend instance unready for longer than they last, so there is nothing to set');
  hc.drop('start_interval', 'tend probes at one period; the first check runs at once rather than after the interval');
  hc.rest();
  if (disabled || exec === undefined) return undefined;
  return { exec, period: durationOf(period), timeout: durationOf(timeout), failureThreshold: Math.max(1, retries) };
}

// `["CMD", argv...]` runs argv; `["CMD-SHELL", line]` and a plain string run through /bin/sh -c; `["NONE"]` disables.
function testCommand(hc: FieldReader): string[] | undefined {
  const entry = hc.take('test');
  if (!entry) return undefined;
  const v = entry.value;
  if (v.t === 'scalar' && typeof v.value === 'string') return ['/bin/sh', '-c', v.value];
  const words = v.t === 'seq' && v.items.every((i) => i.t === 'scalar') ? v.items.map((i) => String((i as { value: unknown }).value)) : undefined;
  const [kind, ...rest] = words ?? [];
  if (kind === 'CMD' && rest.length > 0) return rest;
  if (kind === 'CMD-SHELL' && rest.length > 0) return ['/bin/sh', '-c', rest.join(' ')];
  if (kind === 'NONE') return undefined;
  hc.reject(entry, notUsable(v, 'a command line or ["CMD", ...] / ["CMD-SHELL", "..."]'));
  return undefined;
}

/** A Go duration field (`1m30s`) in ms; reports text it cannot read. */
export function goDuration(reader: FieldReader, key: string): number | undefined {
  const entry = reader.take(key);
  if (!entry) return undefined;
  const text = entry.value.t === 'scalar' ? String(entry.value.value) : '';
  const ms = parseGoDuration(text);
  if (ms === undefined) reader.reject(entry, notUsable(entry.value, 'a duration like 10s or 1m30s'));
  return ms;
}

/** `deploy.resources` as tend `resources` (empty when nothing maps). */
export function resourcesOf(node: SourceNode, reader: FieldReader): Spec {
  if (node.t !== 'map') return {};
  const res = new FieldReader(node, reader.field('resources'), reader.ledger);
  const out: Spec = {};
  const limits = sub(res, 'limits');
  if (limits) {
    const l = amounts(limits, { cpus: 'cpu', memory: 'memory', pids: 'threads' });
    if (Object.keys(l).length > 0) out.limits = l;
  }
  const reservations = sub(res, 'reservations');
  if (reservations) {
    reservations.drop('devices', 'tend does not hand devices to programs; count them as a Node capacity and request them by name');
    reservations.drop('generic_resources', 'name the resource in a Node capacity and request it in resources.requests');
    const r = amounts(reservations, { cpus: 'cpu', memory: 'memory' });
    if (Object.keys(r).length > 0) out.requests = r;
  }
  res.rest();
  return out;
}

function sub(reader: FieldReader, key: string): FieldReader | undefined {
  const entry = reader.take(key);
  if (!entry) return undefined;
  if (entry.value.t === 'map') return new FieldReader(entry.value, reader.field(key), reader.ledger);
  reader.reject(entry, notUsable(entry.value, 'a map'));
  return undefined;
}

function amounts(reader: FieldReader, names: Readonly<Record<string, string>>): Spec {
  const out: Spec = {};
  for (const [key, target] of Object.entries(names)) {
    const text = reader.str(key);
    if (text === undefined) continue;
    const value = target === 'memory' ? binaryQuantity(text) : target === 'cpu' ? cpuOf(text) : intOf(text);
    if (value === undefined) {
      reader.ledger.drop(reader.node.line, reader.field(key), `"${text}" is not a ${target} amount tend reads`);
    }
    else out[target] = value;
  }
  reader.rest();
  return out;
}

function cpuOf(text: string): number | undefined {
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function intOf(text: string): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
