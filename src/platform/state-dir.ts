/**
 * Where state lives: `--state-dir`, else `$TEND_STATE_DIR`, else a folder under
 * `$XDG_STATE_HOME/tend/` (`~/.local/state/tend/`), or `/var/lib/tend/` for root, named after the
 * manifest directory's real path so two manifest directories never share state.
 *
 * Whoever can write the state dir can plant the API token, a socket the CLI talks to, a state
 * file of processes to adopt, or log files as symlinks for tend to write through. So the state
 * dir, its `logs/` and `run/` folders (`run` often a link to a tmpfs), token and socket must be
 * owned by the user tend runs as and not be open to others, and every folder above them must be
 * safe from others (file-trust.ts rules).
 */
import { mkdirSync, realpathSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { TendError } from '../model/errors.ts';
import { judgePath, type TargetFact } from './file-trust.ts';
import { chasePath, type ChasedPath } from './path-chase.ts';

/** Resolves the state dir for a manifest dir (which need not exist). */
export function resolveStateDir(manifestDir: string, explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  if (explicit) return resolve(explicit);
  if (env.TEND_STATE_DIR) return resolve(env.TEND_STATE_DIR);
  const root = process.getuid?.() === 0 ? '/var/lib/tend' : join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'tend');
  const real = realPathOr(manifestDir);
  const slug = basename(real).replace(/[^A-Za-z0-9._-]/g, '_') || 'root';
  return join(root, `${slug}-${sha256Hex(real).slice(0, 12)}`);
}

/**
 * Creates the state dir (mode 0700) and its `logs/` folder, then makes sure they can be trusted.
 * Throws a `TendError` with code `StateDirInsecure` when they cannot.
 */
export function ensureStateDir(stateDir: string): void {
  mkdirSync(join(stateDir, 'logs'), { recursive: true, mode: 0o700 });
  const problem = stateDirProblem(stateDir);
  if (problem) throw new TendError('StateDirInsecure', problem);
}

/** The parts of a state dir that are checked, with what each must be. */
const STATE_PARTS: readonly { readonly name: string; readonly type: TargetFact['type']; readonly deny: number; readonly fixMode: string }[] = [
  { name: '', type: 'folder', deny: 0o022, fixMode: '700' },
  { name: 'logs', type: 'folder', deny: 0o022, fixMode: '700' },
  { name: 'run', type: 'folder', deny: 0o022, fixMode: '700' },
  { name: 'token', type: 'file', deny: 0o077, fixMode: '600' },
  { name: 'tend.sock', type: 'socket', deny: 0o077, fixMode: '600' },
];

/**
 * Why the state dir (or its `logs/`, token or socket) cannot be trusted, naming the path and the
 * fix; undefined when every part that exists is sound. A state dir that does not exist yet is
 * sound: {@link ensureStateDir} checks it once made.
 */
export function stateDirProblem(stateDir: string, uid: number = process.geteuid?.() ?? 0): string | undefined {
  const cache = new Map<string, Stats | undefined>();
  for (const part of STATE_PARTS) {
    const path = part.name ? join(stateDir, part.name) : resolve(stateDir);
    let chased: ChasedPath | undefined;
    try {
      chased = chasePath(path, { cache });
    } catch (error) {
      return `cannot check state dir ${stateDir}: ${(error as Error).message}`;
    }
    if (!chased) continue;
    const { type, deny, fixMode } = part;
    const verdict = judgePath(chased.facts, { kind: 'owned-by', uid, who: 'the user tend runs as', type, deny, fixMode });
    if (!verdict.ok) return `refusing ${part.name ? path : `state dir ${path}`}: ${verdict.problem}; ${verdict.fix}`;
  }
  return undefined;
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
