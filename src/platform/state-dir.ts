/**
 * Where state lives: `--state-dir`, else `$TEND_STATE_DIR`, else a folder under
 * `$XDG_STATE_HOME/tend/` (`~/.local/state/tend/`), or `/var/lib/tend/` for root, named after the
 * manifest directory's real path so two manifest directories never share state.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';

/** Resolves the state dir for a manifest dir (which need not exist). */
export function resolveStateDir(manifestDir: string, explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  if (explicit) return resolve(explicit);
  if (env.TEND_STATE_DIR) return resolve(env.TEND_STATE_DIR);
  const root = process.getuid?.() === 0 ? '/var/lib/tend' : join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'tend');
  const real = realPathOr(manifestDir);
  const slug = basename(real).replace(/[^A-Za-z0-9._-]/g, '_') || 'root';
  return join(root, `${slug}-${sha256Hex(real).slice(0, 12)}`);
}

/** Creates the state dir (mode 0700) and its `logs/` folder. */
export function ensureStateDir(stateDir: string): void {
  mkdirSync(join(stateDir, 'logs'), { recursive: true, mode: 0o700 });
}

/** The marker id processes of this state dir carry in `TEND_STATE_ID`. */
export function stateIdOf(stateDir: string): string {
  return sha256Hex(realPathOr(stateDir)).slice(0, 16);
}

function realPathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

// node:crypto is loaded on first use only: a CLI call given --state-dir never hashes, and loading
// the module is a noticeable part of a short command's start-up.
function sha256Hex(text: string): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('hex');
}
