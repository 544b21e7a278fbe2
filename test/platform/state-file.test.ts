/**
 * The state file and its journal on a real temp dir: a snapshot first, then one appended line
 * per save; a journal of another snapshot or a torn line is not replayed; saves are coalesced and
 * spaced; a long journal is compacted into a new snapshot; flush writes the whole state.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, it } from 'node:test';
import { COMPACT_MIN_BYTES, createStateSaver, journalFilePath, readStateFile, stateFilePath, stateJson, type StateSaverOptions } from '../../src/platform/state-file.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';

interface Counter {
  readonly version: 1;
  readonly values: Record<string, number>;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const isCounter = (value: unknown): value is Counter => (value as Counter | null)?.version === 1;
const replay = (state: Counter, records: readonly unknown[]): Counter => {
  const values: Record<string, number> = { ...state.values };
  for (const record of records as Record<string, number>[]) Object.assign(values, record);
  return { version: 1, values };
};

// A saver over `values`, reporting as changes the keys that differ from the last call.
function world(options: Partial<StateSaverOptions> = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), 'tend-state-'));
  dirs.push(stateDir);
  const clock = createFakeClock();
  const values: Record<string, number> = {};
  let written: Record<string, number> = {};
  let snapshots = 0;
  let records = 0;
  const changes = (): Record<string, number> | undefined => {
    records++;
    const changed = Object.fromEntries(Object.entries(values).filter(([k, v]) => written[k] !== v));
    written = { ...values };
    return Object.keys(changed).length ? changed : undefined;
  };
  const mark = (): void => {
    written = { ...values };
  };
  const errors: unknown[] = [];
  const saver = createStateSaver({
    stateDir,
    delayMs: 20,
    minSpacingMs: 250,
    snapshot: () => (snapshots++, { version: 1, values: { ...values } }),
    changes,
    mark,
    now: () => clock.now(),
    after: (ms, fn) => clock.after(ms, fn),
    onError: (error) => errors.push(error),
    ...options,
  });
  const read = () => readStateFile(stateDir, isCounter, clock.now(), replay);
  return { stateDir, clock, values, saver, read, errors, snapshots: () => snapshots, records: () => records };
}

function lines(stateDir: string): string[] {
  return readFileSync(journalFilePath(stateDir), 'utf8').split('\n').filter(Boolean);
}

async function saveNow(w: ReturnType<typeof world>, ms = 300): Promise<void> {
  w.saver.schedule();
  w.clock.advance(ms);
  await w.saver.idle();
}

void it('writes a snapshot first, then appends only what changed; a read replays the journal', async () => {
  const w = world();
  w.values.a = 1;
  await saveNow(w);
  assert.equal(w.snapshots(), 1);
  assert.equal(w.records(), 0, 'a snapshot is written without a record of what changed');
  const snapshot = JSON.parse(readFileSync(stateFilePath(w.stateDir), 'utf8')) as { journal: string };
  assert.deepEqual(lines(w.stateDir), [JSON.stringify({ journal: snapshot.journal })]);
  w.values.b = 2;
  await saveNow(w);
  w.values.a = 3;
  await saveNow(w);
  assert.equal(w.snapshots(), 1, 'no whole-state rewrite per change');
  assert.deepEqual(lines(w.stateDir).slice(1), ['{"b":2}', '{"a":3}']);
  const read = w.read();
  assert.deepEqual(read.kind === 'ok' && read.state.values, { a: 3, b: 2 });
  await w.saver.close();
});

void it('replays no journal of another snapshot, and stops at a torn last line', async () => {
  const w = world();
  w.values.a = 1;
  await saveNow(w);
  w.values.a = 2;
  await saveNow(w);
  appendFileSync(journalFilePath(w.stateDir), '{"a":9');
  const torn = w.read();
  assert.deepEqual(torn.kind === 'ok' && torn.state.values, { a: 2 });
  const snapshot = JSON.parse(readFileSync(stateFilePath(w.stateDir), 'utf8')) as Counter & { journal: string };
  writeFileSync(stateFilePath(w.stateDir), JSON.stringify({ ...snapshot, journal: 'another' }));
  const other = w.read();
  assert.deepEqual(other.kind === 'ok' && other.state.values, { a: 1 }, 'the journal belongs to another snapshot');
  await w.saver.close();
});

void it('coalesces a burst into one save and starts saves at least minSpacingMs apart', async () => {
  const w = world();
  let appends = 0;
  w.values.a = 0;
  await saveNow(w);
  for (let i = 1; i <= 40; i++) {
    w.values.a = i;
    w.saver.schedule();
    w.clock.advance(10);
    await w.saver.idle();
    appends = lines(w.stateDir).length - 1;
  }
  // 400 ms of changes every 10 ms: saves at most every 250 ms.
  assert.ok(appends >= 1 && appends <= 2, `${appends} appends`);
  await saveNow(w);
  const read = w.read();
  assert.equal(read.kind === 'ok' && read.state.values.a, 40);
  await w.saver.close();
});

void it('compacts the journal into a new snapshot once it outgrows the snapshot', async () => {
  const w = world();
  w.values.a = 0;
  await saveNow(w);
  const big = 'x'.repeat(4096);
  let i = 0;
  while (statSync(journalFilePath(w.stateDir)).size <= COMPACT_MIN_BYTES) {
    w.values[`${big}${i}`] = i++;
    await saveNow(w);
  }
  assert.equal(w.snapshots(), 1);
  w.values.last = 1;
  await saveNow(w);
  assert.equal(w.snapshots(), 2, 'a new snapshot');
  assert.equal(lines(w.stateDir).length, 1, 'a new journal, header only');
  const read = w.read();
  assert.equal(read.kind === 'ok' && Object.keys(read.state.values).length, i + 2);
  await w.saver.close();
});

void it('flush writes the whole state synchronously and starts an empty journal', async () => {
  const w = world();
  w.values.a = 1;
  await saveNow(w);
  w.values.a = 5;
  w.saver.schedule();
  await w.saver.flush();
  const snapshot = JSON.parse(readFileSync(stateFilePath(w.stateDir), 'utf8')) as Counter & { journal: string };
  assert.deepEqual(snapshot.values, { a: 5 });
  assert.deepEqual(lines(w.stateDir), [JSON.stringify({ journal: snapshot.journal })]);
  await w.saver.close();
  assert.equal(w.errors.length, 0);
});

void it('writes the JSON that JSON.stringify does, serialising each array element once', () => {
  const instance = { object: 'process/a', id: 'a-0', pid: 12, state: 'running', note: undefined };
  const history = { restarts: 2, failures: [{ type: 'Exit', code: 1 }] };
  const object = { key: 'process/a', spec: { command: ['sleep', '1'], env: { Q: 'say "hi"\n' } } };
  const state = { version: 1, bootId: 'b', revision: 'r', instances: [instance], history: [['process/a', history]], objects: [object], journal: 'j', gone: undefined };
  assert.equal(stateJson(state), JSON.stringify(state));
  const stringify = JSON.stringify;
  const serialised: unknown[] = [];
  JSON.stringify = ((...args: Parameters<typeof stringify>) => {
    serialised.push(args[0]);
    return stringify(...args);
  }) as typeof JSON.stringify;
  try {
    const replaced = { ...instance, pid: 13 };
    const next = { ...state, instances: [replaced], history: [['process/a', history]] };
    const text = stateJson(next);
    JSON.stringify = stringify;
    assert.equal(text, stringify(next));
    assert.ok(serialised.includes(replaced), 'the replaced instance is serialised');
    assert.ok(!serialised.includes(object) && !serialised.includes(history), 'the unchanged object and history entry are not serialised again');
  } finally {
    JSON.stringify = stringify;
  }
});

void it('serialises a snapshot a turn at a time when given a yield, and writes the same file', async () => {
  const items = Array.from({ length: 50 }, (_, i) => ({ id: `p${i}`, pid: 100 + i }));
  let asked = 0;
  let given = 0;
  let otherWork = 0;
  // The turn is spent after every tenth element: other work runs then.
  const yieldTurn = (): Promise<void> | undefined => (++asked % 10 === 0 ? (given++, new Promise<void>((resolve) => setImmediate(() => (otherWork++, resolve())))) : undefined);
  const w = world({ snapshot: () => ({ version: 1, values: {}, items }), yieldTurn });
  await saveNow(w);
  assert.equal(asked, items.length, 'asked after each element');
  assert.equal(otherWork, given);
  assert.ok(given >= 5);
  const written = JSON.parse(readFileSync(stateFilePath(w.stateDir), 'utf8')) as { items: unknown; journal: string };
  assert.deepEqual(written.items, items);
  assert.equal(readFileSync(stateFilePath(w.stateDir), 'utf8'), stateJson({ version: 1, values: {}, items, journal: written.journal }));
  await w.saver.close();
});
