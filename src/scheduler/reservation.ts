/**
 * The one reservation of a pass: the first waiting unit that could fit on an empty machine holds
 * what is free of each resource it lacks, so units behind it cannot take that from it.
 *
 * Owns: making, using and giving back that reservation.
 * Must not: decide who holds it; `schedule.ts` does.
 */
import type { Entry, Pass } from './pass.ts';
import { grant } from './pass.ts';
import { addInto, deficitOf, fitsWith } from './resources.ts';

/** Holds for waiting `entry` what is free of each resource it lacks: later units cannot take it. */
export function reserve(pass: Pass, entry: Entry): void {
  const short = deficitOf(entry.demand, pass.free);
  const held = pass.free.map((amount, i) => ((short[i] ?? 0) > 0 && amount > 0 ? amount : 0));
  addInto(pass.free, held, -1);
  pass.holder = { entry, held };
  pass.reserved = true;
}

/** What `entry` holds by reservation (nothing unless it is the holder). */
export function heldBy(pass: Pass, entry: Entry): readonly number[] {
  return pass.holder?.entry === entry ? pass.holder.held : [];
}

/** Gives `entry` its place, first returning what it held by reservation. */
export function grantHolding(pass: Pass, entry: Entry): void {
  if (pass.holder?.entry === entry) {
    addInto(pass.free, pass.holder.held, 1);
    pass.holder = undefined;
  }
  grant(pass, entry);
}

/** After an eviction freed more: places the holder if it now fits with what it held. */
export function retryHolder(pass: Pass): void {
  const holder = pass.holder;
  if (holder === undefined || !fitsWith(holder.entry.demand, pass.free, holder.held)) return;
  pass.waiting = pass.waiting.filter((w) => w.entry !== holder.entry);
  grantHolding(pass, holder.entry);
}
