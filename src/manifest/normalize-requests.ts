/**
 * `resources.requests` and a Node's `capacity` to plain numbers: cpu in cores, memory and disk
 * in bytes, any other name a count. Pure.
 */
import { TendError } from '../model/errors.ts';
import { parseCpu, parseQuantity } from './normalize.ts';

/** Amounts per resource name, as the scheduler counts them. */
export type Amounts = Readonly<Record<string, number>>;

/**
 * A validated requests or capacity map in canonical units; names whose value is not positive
 * are left out. Copied into a null-prototype object (names come from YAML).
 * @example normalizeAmounts({ cpu: '500m', memory: '1Gi', licenses: 1 }) // { cpu: 0.5, memory: 1073741824, licenses: 1 }
 */
export function normalizeAmounts(input: Readonly<Record<string, string | number>> | undefined): Amounts {
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [name, value] of Object.entries(input ?? {})) {
    const amount = name === 'cpu' ? parseCpu(value) : typeof value === 'string' ? parseQuantity(value) : value;
    if (amount === undefined) throw new TendError('InvariantViolation', `validated manifest holds an invalid amount of ${name}: ${JSON.stringify(value)}`);
    if (amount > 0) out[name] = amount;
  }
  return { ...out };
}

/** The requests of a validated Process or Job spec as written. */
export function requestsOfRaw(raw: Readonly<Record<string, unknown>>): Amounts {
  const resources = raw.resources as { readonly requests?: Readonly<Record<string, string | number>> } | undefined;
  return normalizeAmounts(resources?.requests);
}
