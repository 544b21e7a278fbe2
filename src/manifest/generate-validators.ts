/**
 * Build step: the manifest validators as standalone ajv code, so that a run loads plain
 * functions instead of compiling the schemas. `npm run build` (bin/build.mjs) runs this file
 * through tsx and writes its output to dist/cli/validators.generated.cjs, where validators.ts
 * (bundled there) looks for it. Prints to stdout; it writes no file itself.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type standalone from 'ajv/dist/standalone/index.js';
import { createManifestAjv, schemaDigest, VALIDATOR_IDS } from './validators.ts';

/**
 * A CommonJS module exporting one validator per entry of {@link VALIDATOR_IDS} and the
 * `schemaDigest` of the schemas it was generated from.
 */
export function validatorsModuleCode(): string {
  const load = createRequire(import.meta.url);
  const { default: moduleCode } = load('ajv/dist/standalone') as typeof standalone;
  const code = moduleCode(createManifestAjv({ source: true }), { ...VALIDATOR_IDS });
  return `${code}\nexports.schemaDigest = ${JSON.stringify(schemaDigest())};\n`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(validatorsModuleCode());
}
