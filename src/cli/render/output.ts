/** Machine output: `-o json` and `-o yaml`. */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { OutputFormat } from '../context.ts';

const load = createRequire(import.meta.url);

/** Prints `value` as JSON or YAML. */
export function printData(format: Exclude<OutputFormat, 'table'>, value: unknown): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringifyYaml(value));
}

// The YAML writer is loaded only for `-o yaml`: most calls print a table or JSON, and the CLI
// bundle keeps the yaml package out of the commands that do not parse manifests.
function stringifyYaml(value: unknown): string {
  return (load('yaml') as typeof Yaml).stringify(value);
}
