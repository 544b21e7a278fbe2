/**
 * Whether a path can be trusted, judged the way sshd's StrictModes and systemd judge a unit or
 * key file: from facts about every folder, symlink and the final file met while resolving it
 * (gathered by path-chase.ts). Pure: it reads nothing and knows no clock.
 *
 * The rules, for a path whose content will be acted on as owner U:
 * - every symlink on the way, and the target, counts as an owner. For a manifest, U is the less
 *   privileged of them: root only when all are root; two different non-root owners are refused;
 * - every folder on the way is owned by root or by U (anyone else could rename the entry away);
 * - no folder is writable by group or others, except a sticky one (like /tmp) that tend only
 *   passes through, and only when the entry taken from it is owned by root or U (the sticky bit
 *   stops others from renaming or removing it). A folder whose every entry is read (the manifest
 *   directory and its subfolders) gets no such exception: others could add files to it;
 * - the target is not writable by group or others (or, for a secret, not accessible at all).
 */

/** A folder the path went through, and the owner of the entry taken from it. */
export interface FolderFact {
  readonly kind: 'folder';
  readonly path: string;
  readonly uid: number;
  readonly mode: number;
  readonly entryUid: number;
  /** Every entry of this folder is read (a manifest folder), not just the one taken. */
  readonly listed: boolean;
}

/** A symlink the path went through. */
export interface LinkFact {
  readonly kind: 'link';
  readonly path: string;
  readonly uid: number;
  readonly gid: number;
}

export type StepFact = FolderFact | LinkFact;

/** What the path finally named. */
export interface TargetFact {
  readonly path: string;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
  readonly type: 'file' | 'folder' | 'socket' | 'other';
}

/** Everything met while resolving one path, in order. */
export interface PathFacts {
  readonly steps: readonly StepFact[];
  readonly target: TargetFact;
}

/**
 * How to judge: `manifest` finds the owner the content runs as; `folders` only checks that no one
 * else can swap the folders (a manifest directory, whose files are judged one by one);
 * `owned-by` demands one owner (the state dir, its token and socket, an envFrom file).
 */
export type TrustPolicy =
  | { readonly kind: 'manifest' }
  | { readonly kind: 'folders' }
  | {
      readonly kind: 'owned-by';
      readonly uid: number;
      /** Who `uid` is, for messages: "the manifest file's owner", "the user tend runs as". */
      readonly who: string;
      readonly type: TargetFact['type'];
      /** Mode bits the target must not have (0o022: writable by others; 0o077: any access). */
      readonly deny: number;
      /** The mode to suggest, e.g. `700`. */
      readonly fixMode: string;
    };

export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

export type TrustVerdict =
  | { readonly ok: true; readonly owner: Owner }
  | { readonly ok: false; readonly path: string; readonly problem: string; readonly fix: string };

type Refusal = Extract<TrustVerdict, { ok: false }>;

const GROUP_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

/**
 * Judges `facts` under `policy`: the owner the content may be acted on as, or the first problem
 * (the target's own, then the outermost folder's) with how to fix it. A problem with the target itself says "it is ...".
 * @example judgePath(facts, { kind: 'manifest' }) // { ok: true, owner: { uid: 1000, gid: 1000 } }
 */
export function judgePath(facts: PathFacts, policy: TrustPolicy): TrustVerdict {
  const owner = ownerUnder(facts, policy);
  if ('problem' in owner) return owner;
  const refusal = judgeTarget(facts.target, policy);
  if (refusal) return refusal;
  const trusted = (uid: number): boolean => policy.kind === 'folders' || uid === 0 || uid === owner.uid;
  for (const step of facts.steps) {
    const problem = step.kind === 'folder' ? judgeFolder(step, owner.uid, trusted) : judgeLink(step, trusted, owner.uid);
    if (problem) return problem;
  }
  return { ok: true, owner };
}

// The owner the content belongs to; for a manifest, the less privileged of links and target.
function ownerUnder(facts: PathFacts, policy: TrustPolicy): Owner | Refusal {
  const { target } = facts;
  if (policy.kind === 'owned-by') return { uid: policy.uid, gid: target.gid };
  if (policy.kind === 'folders') return { uid: target.uid, gid: target.gid };
  const owners = [...facts.steps.filter((s): s is LinkFact => s.kind === 'link'), target];
  const users = owners.filter((o) => o.uid !== 0);
  const user = users[0];
  if (!user) return { uid: 0, gid: target.gid };
  const clash = users.find((o) => o.uid !== user.uid);
  if (clash) {
    // The target comes last, so `user`, met before `clash`, is a link.
    return {
      ok: false,
      path: user.path,
      problem: `symlink ${user.path} is owned by uid ${user.uid} and leads through ${clash.path}, owned by uid ${clash.uid}; a link must be owned by root or by its target's owner`,
      fix: 'replace the link with a copy, or have root own the link',
    };
  }
  return { uid: user.uid, gid: target.uid === user.uid ? target.gid : user.gid };
}

function judgeFolder(step: FolderFact, ownerUid: number, trusted: (uid: number) => boolean): Refusal | undefined {
  if (!trusted(step.uid)) {
    return {
      ok: false,
      path: step.path,
      problem: `folder ${step.path} is owned by uid ${step.uid}, who could replace what it holds`,
      fix: `run chown ${ownerName(ownerUid)} ${step.path}, or move the file to a folder owned by root or by uid ${ownerUid}`,
    };
  }
  if ((step.mode & GROUP_OTHER_WRITE) === 0) return undefined;
  const sticky = (step.mode & STICKY) !== 0;
  if (sticky && !step.listed && trusted(step.entryUid)) return undefined;
  if (sticky && !step.listed) {
    return {
      ok: false,
      path: step.path,
      problem: `folder ${step.path} is writable by others (mode ${modeText(step.mode)}) and the entry taken from it is owned by uid ${step.entryUid}, who could replace it`,
      fix: `keep the path under folders that only root or uid ${ownerUid} can change`,
    };
  }
  return {
    ok: false,
    path: step.path,
    problem: `folder ${step.path} is writable by group or others (mode ${modeText(step.mode)})`,
    fix: `run chmod go-w ${step.path}`,
  };
}

function judgeLink(step: LinkFact, trusted: (uid: number) => boolean, ownerUid: number): Refusal | undefined {
  if (trusted(step.uid)) return undefined;
  return {
    ok: false,
    path: step.path,
    problem: `symlink ${step.path} is owned by uid ${step.uid}, not by root or uid ${ownerUid}`,
    fix: `replace the link, or have root own it (chown -h root ${step.path})`,
  };
}

function judgeTarget(target: TargetFact, policy: TrustPolicy): Refusal | undefined {
  const type = policy.kind === 'owned-by' ? policy.type : policy.kind === 'manifest' ? 'file' : 'folder';
  if (target.type !== type) {
    return { ok: false, path: target.path, problem: `it is not a ${typeName(type)}`, fix: `replace it with a ${typeName(type)}` };
  }
  if (policy.kind === 'owned-by' && target.uid !== policy.uid) {
    return {
      ok: false,
      path: target.path,
      problem: `it is owned by uid ${target.uid}, not by ${policy.who} (uid ${policy.uid})`,
      fix: `run chown ${ownerName(policy.uid)} ${target.path}, or remove it`,
    };
  }
  const deny = policy.kind === 'owned-by' ? policy.deny : GROUP_OTHER_WRITE;
  if ((target.mode & deny) === 0) return undefined;
  const what = deny === GROUP_OTHER_WRITE ? 'writable by group or others' : 'accessible to group or others';
  const fix = policy.kind === 'owned-by' ? `run chmod ${policy.fixMode} ${target.path}` : `run chmod go-w ${target.path}`;
  return { ok: false, path: target.path, problem: `it is ${what} (mode ${modeText(target.mode)})`, fix };
}

function typeName(type: TargetFact['type']): string {
  return type === 'file' ? 'regular file' : type === 'folder' ? 'folder' : type === 'socket' ? 'socket' : 'file';
}

function ownerName(uid: number): string {
  return uid === 0 ? 'root' : String(uid);
}

/** `0755`, `01777`: permission bits as chmod takes them. */
export function modeText(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}
