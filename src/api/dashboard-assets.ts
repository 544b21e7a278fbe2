/**
 * The dashboard's static files: the page, its script and style, and uPlot (copied from its npm
 * package into dist/ at build time; read from node_modules when running from the sources).
 * Read once, kept in memory.
 *
 * Owns: finding and caching the files. Must not: serve data.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file ready to send. */
export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

const TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'uPlot.iife.min.js': 'text/javascript; charset=utf-8',
  'uPlot.min.css': 'text/css; charset=utf-8',
};

const cache = new Map<string, Asset | undefined>();

/** The named asset, or undefined for a name that is not one. */
export function readAsset(name: string): Asset | undefined {
  const type = TYPES[name];
  if (type === undefined) return undefined;
  if (!cache.has(name)) cache.set(name, load(name, type));
  return cache.get(name);
}

function load(name: string, type: string): Asset | undefined {
  for (const path of candidates(name)) {
    try {
      return { body: readFileSync(path), type };
    } catch {
      // Try the next place.
    }
  }
  return undefined;
}

// Beside this module (dist/api/dashboard after the build, src/api/dashboard in the sources),
// one level up for a bundled build, and uPlot's own package.
function candidates(name: string): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const paths = [join(here, 'dashboard', name), join(here, '..', 'api', 'dashboard', name), join(here, 'api', 'dashboard', name)];
  if (name.startsWith('uPlot')) {
    try {
      paths.push(createRequire(import.meta.url).resolve(`uplot/dist/${name}`));
    } catch {
      // Not installed: only the copy made at build time can serve it.
    }
  }
  return paths;
}
