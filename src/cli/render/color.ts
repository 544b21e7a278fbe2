/** Terminal colours for status words: only when the CLI context says so (a TTY without NO_COLOR). */

const CODES = { green: 32, yellow: 33, red: 31, blue: 34, magenta: 35, dim: 2 } as const;
export type Color = keyof typeof CODES;

/** `text` in `color` when `on`. */
export function paint(text: string, color: Color, on: boolean): string {
  return on ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text;
}

const GOOD = new Set(['Running', 'Ready', 'Succeeded', 'Complete', 'Completed', 'Closed', 'Started', 'Adopted']);
const BAD = new Set(['Failed', 'CircuitOpen', 'BackOff', 'CrashLoopBackOff', 'Crash', 'Lost', 'Timeout']);
const QUIET = new Set(['Stopped', 'Suspended', 'Pending', 'Stopping', 'Starting']);

/** A phase or reason word coloured by what it means: green fine, red failing, yellow in between. */
export function paintStatus(text: string, on: boolean): string {
  const word = text.split(/[ (,]/)[0] ?? text;
  if (GOOD.has(word)) return paint(text, 'green', on);
  if (BAD.has(word)) return paint(text, 'red', on);
  if (QUIET.has(word)) return paint(text, 'blue', on);
  return paint(text, 'yellow', on);
}

/** The length of `text` as a terminal shows it (colour codes take no room). */
export function visibleLength(text: string): number {
  // Most cells hold no colour code: no regex for them (a table of hundreds of rows asks often).
  // eslint-disable-next-line no-control-regex
  return text.includes('\x1b') ? text.replace(/\x1b\[[0-9;]*m/g, '').length : text.length;
}
