/**
 * What the CLI prints for an operating-system error that ends a command (a state dir it may not
 * read or write, a full or read-only disk, no descriptors left): one line saying what failed and
 * how to fix it, never a stack trace. Pure.
 */

const HINTS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied; run tend as the user that owns the state dir (root for /var/lib/tend), or choose another with --state-dir',
  EPERM: 'operation not permitted; run tend as the user that owns the state dir, or choose another with --state-dir',
  EROFS: 'the file system is read-only; choose a writable state dir with --state-dir',
  ENOSPC: 'no space left on the device; free some space and try again',
  EDQUOT: 'the disk quota is used up; free some space and try again',
  EISDIR: 'a folder is in the place of a file tend uses; move it away',
  ENOTDIR: 'a file is in the place of a folder tend uses; move it away',
  EMFILE: 'this process has no file descriptors left; raise the limit (ulimit -n)',
  ENFILE: 'the system has no file descriptors left',
  ELOOP: 'too many symbolic links in a path tend uses',
};

/**
 * The line for `error` when it is an OS error (it has an errno `code`), else undefined (a bug,
 * which keeps its stack).
 * @example faultMessage(Object.assign(new Error("EACCES: permission denied, open '/var/lib/tend/x/lock'"), { code: 'EACCES' }))
 */
export function faultMessage(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return undefined;
  const hint = HINTS[code];
  return hint ? `${error.message} (${hint})` : error.message;
}
