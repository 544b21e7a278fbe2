// Build step (bin/bundle-cli.mjs): which command module each command of the command table
// (src/cli/command-table.ts) runs, found by running the table's own `run` of every command with
// the command modules replaced by stand-ins: each records its name when called. So the map
// cannot drift from the table (`release` runs lease.ts, `start` operate.ts, ...).
//
// Run as `node --import tsx bin/command-modules.mjs` from the project root; prints the map as
// JSON, `{"up": "up", "release": "lease", ...}`.
import { register } from 'node:module';

// Loader hooks (run off the main thread): `./commands/NAME.ts` imported by the command table
// resolves to a module whose run and runRelease record NAME and return 0.
const hooks = `
export async function resolve(specifier, context, next) {
  const found = /^\\.\\/commands\\/([a-z-]+)\\.ts$/.exec(specifier);
  if (found && context.parentURL?.endsWith('/command-table.ts')) return { url: 'tend-command:' + found[1], shortCircuit: true };
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.startsWith('tend-command:')) return next(url, context);
  const name = JSON.stringify(url.slice('tend-command:'.length));
  const source = 'export const run = async () => { globalThis.tendCommandModule = ' + name + '; return 0; }; export const runRelease = run;';
  return { format: 'module', source, shortCircuit: true };
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url);

const { COMMANDS } = await import('../src/cli/command-table.ts');
const map = {};
for (const [name, spec] of Object.entries(COMMANDS)) {
  globalThis.tendCommandModule = undefined;
  await spec.run({}, {}, []);
  if (typeof globalThis.tendCommandModule !== 'string') throw new Error(`tend ${name} ran no module of src/cli/commands/`);
  map[name] = globalThis.tendCommandModule;
}
process.stdout.write(JSON.stringify(map));
