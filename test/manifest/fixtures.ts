/**
 * Shared helpers of the manifest tests: run the per-file pipeline on inline YAML with an
 * in-memory set of envFrom files, and render diagnostics the way the CLI prints them.
 */
import { formatDiagnostic } from '../../src/model/diagnostic.ts';
import type { ReadEnvFile } from '../../src/manifest/normalize.ts';
import { validateManifestText } from '../../src/manifest/validate.ts';
import type { ManifestFileResult } from '../../src/manifest/validate.ts';

/** The folder the inline manifests pretend to live in. */
export const DIR = '/srv/manifests';

/** A ReadEnvFile over a map of absolute path -> dotenv text. */
export function envFiles(files: Readonly<Record<string, string>> = {}): ReadEnvFile {
  return (path) => {
    const text = files[path];
    return text === undefined ? { ok: false, reason: 'missing', message: 'no such file' } : { ok: true, text };
  };
}

/** Runs the per-file pipeline on `text` as if it were `manifests/<file>`. */
export function check(text: string, options: { file?: string; env?: Readonly<Record<string, string>>; uid?: number } = {}): ManifestFileResult {
  return validateManifestText(text, {
    file: options.file ?? 'manifests/web.yaml',
    dir: DIR,
    uid: options.uid ?? 1000,
    gid: options.uid ?? 1000,
    readEnvFile: envFiles(options.env),
  });
}

/** Diagnostics as printed lines. */
export function lines(result: { readonly diagnostics: readonly Parameters<typeof formatDiagnostic>[0][] }): string[] {
  return result.diagnostics.map(formatDiagnostic);
}

/** A minimal valid Process document with extra spec lines (indented by four spaces). */
export function processDoc(name: string, specLines: readonly string[] = ['command: ["node", "server.js"]']): string {
  return ['apiVersion: tend/v1', 'kind: Process', 'metadata:', `    name: ${name}`, 'spec:', ...specLines.map((l) => `    ${l}`), ''].join('\n');
}
