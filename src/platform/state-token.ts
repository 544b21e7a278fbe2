/**
 * The bearer token of the TCP listener, `<state-dir>/token`: created once, 0600, never through a
 * symlink; an existing token is used only when it passes the state dir's checks (owned by the
 * user tend runs as, no access for group or others).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TendError } from '../model/errors.ts';
import { chaseExisting, readChasedFile } from './path-chase.ts';
import { stateDirProblem } from './state-dir.ts';

/** Largest token file read. */
const MAX_TOKEN_BYTES = 4096;

/**
 * Reads `<state-dir>/token`, creating a random one (mode 0600) when absent. Throws a `TendError`
 * with code `StateDirInsecure` when the existing one (or the state dir) cannot be trusted.
 */
export function readOrCreateToken(stateDir: string): string {
  const problem = stateDirProblem(stateDir);
  if (problem) throw new TendError('StateDirInsecure', problem);
  const path = join(stateDir, 'token');
  const created = createToken(path);
  if (created !== undefined) return created;
  // Made by an earlier run, or between the check above and the create: judge it again.
  const again = stateDirProblem(stateDir);
  if (again) throw new TendError('StateDirInsecure', again);
  const token = readChasedFile(chaseExisting(path), MAX_TOKEN_BYTES).bytes.toString('utf8').trim();
  if (token === '') throw new TendError('StateDirInsecure', `${path} is empty or too large; remove it and a new token is made`);
  return token;
}

// A new token file, or undefined when one exists. O_EXCL and O_NOFOLLOW: never through a link.
function createToken(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  try {
    fchmodSync(fd, 0o600);
    const token = randomBytes(24).toString('hex');
    writeSync(fd, `${token}\n`);
    return token;
  } finally {
    closeSync(fd);
  }
}
