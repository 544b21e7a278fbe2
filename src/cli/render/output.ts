/** Machine output: `-o json` and `-o yaml`. */
import { stringify } from 'yaml';
import type { OutputFormat } from '../context.ts';

/** Prints `value` as JSON or YAML. */
export function printData(format: Exclude<OutputFormat, 'table'>, value: unknown): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value));
}
