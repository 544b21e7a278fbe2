/**
 * Journal records of the state file: only what changed since the last record, found by identity;
 * replaying the records onto the first snapshot gives the latest state.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ObjectHistory } from '../../src/model/history.ts';
import type { ObservedInstance } from '../../src/model/instance.ts';
import type { ManifestObject } from '../../src/model/object.ts';
import { createStateTracker, replayRecords, type LiveState, type PersistedState } from '../../src/cli/state-journal.ts';

const instance = (object: string, id: string, pid: number): ObservedInstance => ({ object, id, pid, state: 'running' }) as unknown as ObservedInstance;
const history = (generation: number): ObjectHistory => ({ generation, contentHash: `h${generation}`, slots: {} });
const object = (key: string): ManifestObject => ({ key, kind: 'Process', name: key.split('/')[1] }) as unknown as ManifestObject;

const persisted = (live: LiveState): PersistedState => ({ version: 1, bootId: live.bootId, revision: live.revision, instances: live.instances, history: [...live.history], objects: live.objects });

void it('records everything first, then only the keys whose records were replaced, and nothing when none was', () => {
  const web = instance('process/web', 'web-0', 10);
  const db = instance('process/db', 'db-0', 11);
  const live: LiveState = { bootId: 'b', revision: 'r1', instances: [web, db], history: new Map([['process/web', history(1)]]), objects: [object('process/web'), object('process/db')] };
  const tracker = createStateTracker();
  const first = tracker.changes(live);
  assert.deepEqual(Object.keys(first?.instances ?? {}).sort(), ['process/db', 'process/web']);
  assert.equal(tracker.changes({ ...live, instances: [...live.instances], objects: [...live.objects] }), undefined, 'same records in new arrays: no change');
  const restarted = instance('process/web', 'web-0', 12);
  const next = tracker.changes({ ...live, instances: [restarted, db], history: new Map([['process/web', history(2)]]) });
  assert.deepEqual(next, { instances: { 'process/web': [restarted] }, history: { 'process/web': history(2) } });
  const gone = tracker.changes({ ...live, instances: [restarted], history: new Map(), revision: 'r2' });
  assert.deepEqual(gone, { revision: 'r2', instances: { 'process/db': null }, history: { 'process/web': null } });
});

void it('replaying the records onto the first snapshot gives the latest state', () => {
  const tracker = createStateTracker();
  const states: LiveState[] = [];
  let instances = [instance('process/a', 'a-0', 1), instance('process/b', 'b-0', 2), instance('process/b', 'b-1', 3)];
  let hist = new Map([['process/a', history(1)], ['process/b', history(1)]]);
  let objects = [object('process/a'), object('process/b')];
  for (let step = 0; step < 20; step++) {
    if (step % 3 === 1) instances = instances.map((i) => (i.id === 'b-1' ? instance('process/b', 'b-1', 100 + step) : i));
    if (step % 5 === 2) hist = new Map([...hist, ['process/a', history(step)]]);
    if (step === 7) objects = [...objects, object('process/c')];
    if (step === 8) instances = [...instances, instance('process/c', 'c-0', 50)];
    if (step === 13) instances = instances.filter((i) => i.object !== 'process/a');
    if (step === 14) hist = new Map([...hist].filter(([k]) => k !== 'process/a'));
    states.push({ bootId: 'boot', revision: `r${Math.floor(step / 4)}`, instances, history: hist, objects });
  }
  const [first, ...rest] = states as [LiveState, ...LiveState[]];
  tracker.changes(first);
  const records = rest.map((s) => tracker.changes(s)).filter((r) => r !== undefined);
  const replayed = replayRecords(persisted(first), JSON.parse(JSON.stringify(records)) as unknown[]);
  const last = persisted(states.at(-1) as LiveState);
  const byKey = <T,>(items: readonly T[], key: (t: T) => string) => [...items].sort((x, y) => key(x).localeCompare(key(y)));
  assert.deepEqual(byKey(replayed.instances, (i) => i.id), byKey(last.instances, (i) => i.id));
  assert.deepEqual(byKey(replayed.history, ([k]) => k), byKey(JSON.parse(JSON.stringify(last.history)) as typeof last.history, ([k]) => k));
  assert.deepEqual(byKey(replayed.objects, (o) => o.key), byKey(last.objects, (o) => o.key));
  assert.equal(replayed.revision, last.revision);
});

void it('after a mark (a snapshot written) the next record holds only what changed since', () => {
  const web = instance('process/web', 'web-0', 10);
  const live: LiveState = { bootId: 'b', revision: 'r1', instances: [web], history: new Map(), objects: [object('process/web')] };
  const tracker = createStateTracker();
  tracker.mark(live);
  assert.equal(tracker.changes(live), undefined, 'nothing since the snapshot');
  const restarted = instance('process/web', 'web-0', 11);
  assert.deepEqual(tracker.changes({ ...live, instances: [restarted] }), { instances: { 'process/web': [restarted] } });
});
