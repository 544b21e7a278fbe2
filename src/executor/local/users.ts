/**
 * Resolves a user name (or numeric uid) to uid, gid and home from `/etc/passwd`, without
 * spawning anything. Used only when tend runs as root and a spec names a `user`.
 */
import { readFileSync } from 'node:fs';

/** An account to run a program as. */
export interface UserAccount {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** Finds `name` (a login name or a decimal uid) in a passwd-format text. */
export function findUser(passwd: string, name: string): UserAccount | undefined {
  const byUid = /^\d+$/.test(name);
  for (const line of passwd.split('\n')) {
    const [login, , uid, gid, , home] = line.split(':');
    if (login === undefined || uid === undefined || gid === undefined) continue;
    if (byUid ? uid !== name : login !== name) continue;
    return { name: login, uid: Number(uid), gid: Number(gid), home: home ?? '/' };
  }
  // A bare uid with no passwd entry (common in containers) runs with the group of the same number.
  return byUid ? { name, uid: Number(name), gid: Number(name), home: '/' } : undefined;
}

/**
 * Looks `name` up in `/etc/passwd`; undefined when unknown. A file that cannot be read (EMFILE
 * when out of descriptors, EACCES) throws an error that says so: it is not an unknown user.
 */
export function lookupUser(name: string, passwdPath = '/etc/passwd'): UserAccount | undefined {
  let passwd: string;
  try {
    passwd = readFileSync(passwdPath, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${passwdPath} to look up user "${name}": ${(error as Error).message}`, { cause: error });
  }
  return findUser(passwd, name);
}
