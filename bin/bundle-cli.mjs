// Build step (bin/build.mjs): the CLI as CommonJS bundles in dist/cli/, one per command module
// (src/cli/commands/NAME.ts), so a command reads and compiles only its own code:
//
//   main.cjs        the command line itself (help, version, unknown commands)
//   NAME.cjs        the command line and the command module NAME, with what they import
//   offline.cjs     the offline reader (src/cli/offline.ts), which get, describe and diff load
//                   only when no controller answers
//   bundles.json    which bundle runs each command (`release` is in lease.cjs, `start` in
//                   operate.cjs); bin/tend.js reads it
//
// Each bundle is built from src/cli/main.ts: the dynamic import of its own command module is
// bundled in, the other command modules become a module that throws if it were ever imported,
// and the offline reader is required from offline.cjs. Modules reached only through a dynamic
// import run their top level only when imported, as with ES modules. The generated manifest
// validators (src/manifest/validators.ts loads them when present) are bundled in too, so they
// are compiled through the bundle's code cache as well.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

/**
 * Writes the bundles and bundles.json into `outdir`, with the generated validators module at
 * `validators`; returns the bundles.json map.
 */
export async function bundleCli(root, outdir, validators) {
  const modules = readdirSync(join(root, 'src', 'cli', 'commands')).filter((f) => f.endsWith('.ts')).map((f) => basename(f, '.ts'));
  const bundles = bundleMap(root, modules);
  await Promise.all([
    bundle(root, join(outdir, 'main.cjs'), 'src/cli/main.ts', { validators }),
    bundle(root, join(outdir, 'offline.cjs'), 'src/cli/offline.ts', { validators }),
    ...modules.map((name) => bundle(root, join(outdir, `${name}.cjs`), 'src/cli/main.ts', { keep: name, validators })),
  ]);
  writeFileSync(join(outdir, 'bundles.json'), `${JSON.stringify(bundles)}\n`);
  return bundles;
}

// Command name to bundle, for every command of the command table: the command module its run
// imports (bin/command-modules.mjs runs the table to find out); a command whose module is not a
// file of src/cli/commands/ fails the build.
function bundleMap(root, modules) {
  const listed = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bin', 'command-modules.mjs')], { cwd: root, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`cannot list the commands and their modules: ${listed.stderr}`);
  const map = JSON.parse(listed.stdout);
  for (const [name, module] of Object.entries(map)) {
    if (!modules.includes(module)) throw new Error(`command ${name} runs src/cli/commands/${module}.ts, which is not there`);
  }
  return map;
}

function bundle(root, outfile, entry, parts) {
  return build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // The sources are ES modules: import.meta.url is the bundle's own URL, as it was for each chunk.
    define: { 'import.meta.url': '__tendModuleUrl' },
    banner: { js: "var __tendModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [split(entry, parts.keep), inlineValidators(parts.validators)],
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
}

// Leaves out of the bundle the command modules the command table imports, except `keep` (none:
// every one), and the offline reader, which it requires from offline.cjs instead.
function split(entry, keep) {
  return {
    name: 'tend-split',
    setup(b) {
      b.onResolve({ filter: /^\.\/commands\/[a-z-]+\.ts$/ }, (args) => {
        const name = basename(args.path, '.ts');
        if (args.kind !== 'dynamic-import' || !args.importer.endsWith('command-table.ts') || name === keep) return undefined;
        return { path: name, namespace: 'tend-other-command' };
      });
      b.onLoad({ filter: /.*/, namespace: 'tend-other-command' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`this bundle does not hold the command module ${args.path} (see dist/cli/bundles.json)`)});`,
        loader: 'js',
      }));
      if (entry.endsWith('offline.ts')) return;
      b.onResolve({ filter: /\/offline\.ts$/ }, () => ({ path: 'offline', namespace: 'tend-offline' }));
      b.onLoad({ filter: /.*/, namespace: 'tend-offline' }, () => ({ contents: "module.exports = require('./offline.cjs');", loader: 'js' }));
      b.onResolve({ filter: /^\.\/offline\.cjs$/ }, () => ({ path: './offline.cjs', external: true }));
    },
  };
}

// Where validators.ts loads the generated module at run time, the bundle requires it instead.
function inlineValidators(path) {
  const call = "load('./validators.generated.cjs')";
  return {
    name: 'tend-validators',
    setup(b) {
      b.onLoad({ filter: /[/\\]src[/\\]manifest[/\\]validators\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes(call)) throw new Error(`${args.path} no longer says ${call}; update bin/bundle-cli.mjs`);
        return { contents: source.replace(call, `require(${JSON.stringify(path)})`), loader: 'ts' };
      });
    },
  };
}
