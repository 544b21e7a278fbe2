/**
 * The trust decision as a table: owners and modes of the folders, links and target met on a path,
 * and what tend concludes (the owner programs run as, or the path at fault).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgePath, modeText, type FolderFact, type LinkFact, type PathFacts, type TargetFact, type TrustPolicy } from '../../src/platform/file-trust.ts';

const ALICE = 1000;
const BOB = 1001;

function folder(path: string, uid: number, mode: number, entryUid: number, listed = false): FolderFact {
  return { kind: 'folder', path, uid, mode: 0o040000 | mode, entryUid, listed };
}
function link(path: string, uid: number): LinkFact {
  return { kind: 'link', path, uid, gid: uid + 5 };
}
function file(path: string, uid: number, mode = 0o644, type: TargetFact['type'] = 'file'): TargetFact {
  return { path, uid, gid: uid + 5, mode: 0o100000 | mode, type };
}
// /srv/m/<name>: / and /srv root 0755, /srv/m listed with the given owner and mode.
function inTree(target: TargetFact, manifestDir: { uid?: number; mode?: number } = {}, extra: readonly (FolderFact | LinkFact)[] = []): PathFacts {
  return {
    steps: [folder('/', 0, 0o755, 0), folder('/srv', 0, 0o755, manifestDir.uid ?? 0), folder('/srv/m', manifestDir.uid ?? 0, manifestDir.mode ?? 0o755, target.uid, true), ...extra],
    target,
  };
}

type Expect = { owner: number; gid?: number } | { refused: string };

const MANIFEST: TrustPolicy = { kind: 'manifest' };

const cases: readonly { name: string; facts: PathFacts; policy?: TrustPolicy; expect: Expect }[] = [
  { name: 'root file in root folders', facts: inTree(file('/srv/m/a.yaml', 0)), expect: { owner: 0, gid: 5 } },
  { name: "a user's file in root folders runs as that user", facts: inTree(file('/srv/m/a.yaml', ALICE)), expect: { owner: ALICE, gid: ALICE + 5 } },
  { name: 'file writable by group', facts: inTree(file('/srv/m/a.yaml', 0, 0o664)), expect: { refused: '/srv/m/a.yaml' } },
  { name: 'file writable by others', facts: inTree(file('/srv/m/a.yaml', ALICE, 0o646)), expect: { refused: '/srv/m/a.yaml' } },
  { name: 'manifest folder writable by others', facts: inTree(file('/srv/m/a.yaml', 0), { mode: 0o777 }), expect: { refused: '/srv/m' } },
  { name: 'manifest folder sticky and writable: still refused (its entries are all read)', facts: inTree(file('/srv/m/a.yaml', 0), { mode: 0o1777 }), expect: { refused: '/srv/m' } },
  { name: "root's file in a user's folder", facts: inTree(file('/srv/m/a.yaml', 0), { uid: ALICE }), expect: { refused: '/srv/m' } },
  { name: "a user's file in that user's folder", facts: inTree(file('/srv/m/a.yaml', ALICE), { uid: ALICE }), expect: { owner: ALICE } },
  { name: "a user's file in another user's folder", facts: inTree(file('/srv/m/a.yaml', BOB), { uid: ALICE }), expect: { refused: '/srv/m' } },
  {
    name: 'a parent writable by others (the directory can be swapped)',
    facts: { steps: [folder('/', 0, 0o755, 0), folder('/shared', 0, 0o777, 0), folder('/shared/m', 0, 0o755, 0, true)], target: file('/shared/m/a.yaml', 0) },
    expect: { refused: '/shared' },
  },
  {
    name: 'a sticky parent like /tmp with our entry in it',
    facts: { steps: [folder('/', 0, 0o755, 0), folder('/tmp', 0, 0o1777, 0), folder('/tmp/m', 0, 0o755, 0, true)], target: file('/tmp/m/a.yaml', 0) },
    expect: { owner: 0 },
  },
  {
    name: "a sticky parent whose entry is another user's",
    facts: { steps: [folder('/', 0, 0o755, 0), folder('/tmp', 0, 0o1777, BOB), folder('/tmp/m', 0, 0o755, 0, true)], target: file('/tmp/m/a.yaml', 0) },
    expect: { refused: '/tmp' },
  },
  {
    name: 'a sticky parent owned by another user',
    facts: { steps: [folder('/', 0, 0o755, 0), folder('/tmp', BOB, 0o1777, 0), folder('/tmp/m', 0, 0o755, 0, true)], target: file('/tmp/m/a.yaml', 0) },
    expect: { refused: '/tmp' },
  },
  { name: 'a group-writable root folder', facts: { steps: [folder('/', 0, 0o775, 0)], target: file('/a.yaml', 0) }, expect: { refused: '/' } },
  {
    name: "a user's link to root's file runs as the user (the less privileged)",
    facts: inTree(file('/srv/m/web.yaml', 0), { uid: 0 }, [link('/srv/m/alice/web.yaml', ALICE)]),
    expect: { owner: ALICE, gid: ALICE + 5 },
  },
  {
    name: "root's link to a user's file runs as the user",
    facts: { steps: [folder('/', 0, 0o755, 0), folder('/srv', 0, 0o755, 0), link('/srv/web.yaml', 0), folder('/home', 0, 0o755, ALICE), folder('/home/alice', ALICE, 0o750, ALICE)], target: file('/home/alice/web.yaml', ALICE) },
    expect: { owner: ALICE, gid: ALICE + 5 },
  },
  { name: "root's link to root's file", facts: inTree(file('/srv/m/web.yaml', 0), {}, [link('/srv/m/other.yaml', 0)]), expect: { owner: 0 } },
  { name: "one user's link to another user's file", facts: inTree(file('/srv/m/web.yaml', BOB), {}, [link('/srv/m/alice.yaml', ALICE)]), expect: { refused: '/srv/m/alice.yaml' } },
  {
    name: "a link chain through two users' links",
    facts: inTree(file('/srv/m/web.yaml', 0), {}, [link('/srv/m/a.yaml', ALICE), link('/srv/m/b.yaml', BOB)]),
    expect: { refused: '/srv/m/a.yaml' },
  },
  {
    name: "a user's link whose target lies in a folder of another user",
    facts: { steps: [folder('/', 0, 0o755, 0), folder('/srv', 0, 0o755, 0), link('/srv/web.yaml', ALICE), folder('/home', 0, 0o755, BOB), folder('/home/bob', BOB, 0o755, ALICE)], target: file('/home/bob/web.yaml', ALICE) },
    expect: { refused: '/home/bob' },
  },
  { name: 'a folder is not a manifest', facts: inTree(file('/srv/m/x.yaml', 0, 0o755, 'folder')), expect: { refused: '/srv/m/x.yaml' } },
];

const STATE: TrustPolicy = { kind: 'owned-by', uid: ALICE, who: 'the user tend runs as', type: 'folder', deny: 0o022, fixMode: '700' };
const TOKEN: TrustPolicy = { kind: 'owned-by', uid: ALICE, who: 'the user tend runs as', type: 'file', deny: 0o077, fixMode: '600' };
const stateFacts = (target: TargetFact, tmpMode = 0o1777): PathFacts => ({ steps: [folder('/', 0, 0o755, 0), folder('/tmp', 0, tmpMode, target.uid)], target });
const tokenFacts = (target: TargetFact): PathFacts => ({ steps: [...stateFacts(file('/tmp/s', ALICE, 0o700, 'folder')).steps, folder('/tmp/s', ALICE, 0o700, target.uid)], target });

const ownedByCases: readonly { name: string; facts: PathFacts; policy: TrustPolicy; expect: Expect }[] = [
  { name: 'state dir 0700 of the user', facts: stateFacts(file('/tmp/s', ALICE, 0o700, 'folder')), policy: STATE, expect: { owner: ALICE } },
  { name: 'state dir 1777', facts: stateFacts(file('/tmp/s', ALICE, 0o1777, 'folder')), policy: STATE, expect: { refused: '/tmp/s' } },
  { name: "state dir of another user", facts: stateFacts(file('/tmp/s', BOB, 0o700, 'folder')), policy: STATE, expect: { refused: '/tmp/s' } },
  { name: 'state dir in a non-sticky 0777 parent', facts: stateFacts(file('/tmp/s', ALICE, 0o700, 'folder'), 0o777), policy: STATE, expect: { refused: '/tmp' } },
  { name: 'token 0600', facts: tokenFacts(file('/tmp/s/token', ALICE, 0o600)), policy: TOKEN, expect: { owner: ALICE } },
  { name: 'token readable by others', facts: tokenFacts(file('/tmp/s/token', ALICE, 0o644)), policy: TOKEN, expect: { refused: '/tmp/s/token' } },
  { name: 'token planted by another user', facts: tokenFacts(file('/tmp/s/token', BOB, 0o600)), policy: TOKEN, expect: { refused: '/tmp/s/token' } },
  {
    name: "token reached through another user's link",
    facts: { steps: [...tokenFacts(file('/tmp/s/token', ALICE)).steps, link('/tmp/s/token', BOB)], target: file('/tmp/s/real', ALICE, 0o600) },
    policy: TOKEN,
    expect: { refused: '/tmp/s/token' },
  },
];

void describe('judgePath', () => {
  for (const c of [...cases, ...ownedByCases]) {
    void it(c.name, () => {
      const verdict = judgePath(c.facts, c.policy ?? MANIFEST);
      if ('refused' in c.expect) {
        assert.equal(verdict.ok, false, `expected a refusal, got ${JSON.stringify(verdict)}`);
        assert.equal(!verdict.ok && verdict.path, c.expect.refused);
      } else {
        assert.ok(verdict.ok, verdict.ok ? '' : `${verdict.problem}; ${verdict.fix}`);
        assert.equal(verdict.owner.uid, c.expect.owner);
        if (c.expect.gid !== undefined) assert.equal(verdict.owner.gid, c.expect.gid);
      }
    });
  }

  void it('names the problem and a command that fixes it', () => {
    const verdict = judgePath(inTree(file('/srv/m/a.yaml', 0), { mode: 0o777 }), MANIFEST);
    assert.deepEqual(verdict, { ok: false, path: '/srv/m', problem: 'folder /srv/m is writable by group or others (mode 0777)', fix: 'run chmod go-w /srv/m' });
    const token = judgePath(tokenFacts(file('/tmp/s/token', ALICE, 0o644)), TOKEN);
    assert.deepEqual(token, { ok: false, path: '/tmp/s/token', problem: 'it is accessible to group or others (mode 0644)', fix: 'run chmod 600 /tmp/s/token' });
    const planted = judgePath(tokenFacts(file('/tmp/s/token', BOB, 0o600)), TOKEN);
    assert.equal(!planted.ok && planted.problem, 'it is owned by uid 1001, not by the user tend runs as (uid 1000)');
  });

  void it('folders policy: checks only that no one else can swap the folders', () => {
    const facts = { steps: [folder('/', 0, 0o755, 0), folder('/home', 0, 0o755, ALICE)], target: file('/home/alice', ALICE, 0o755, 'folder') };
    assert.equal(judgePath(facts, { kind: 'folders' }).ok, true);
    const open = { steps: facts.steps, target: file('/home/alice', ALICE, 0o777, 'folder') };
    assert.equal(judgePath(open, { kind: 'folders' }).ok, false);
  });

  void it('renders modes as chmod takes them', () => {
    assert.equal(modeText(0o041777), '01777');
    assert.equal(modeText(0o100644), '0644');
  });
});
