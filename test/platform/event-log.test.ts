/**
 * The event log under load and faults: repeated events fold into one with `count` and
 * `lastTime`; a burst rotates by size at write time; a log that cannot be written keeps events
 * and recovers once it can (the folder is removed to make writes fail, then made again).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { createAppender, type AppenderChange } from '../../src/platform/event-appender.ts';
import { openEventLog } from '../../src/platform/event-log.ts';
import { createEventCorrelator, MAX_SIMILAR, SERIES_WINDOW_MS } from '../../src/platform/event-series.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';

const event = (message: string, reason = 'Exited') => ({ time: '2026-01-01T00:00:00.000Z', object: 'process/web', instance: 'web-0', type: 'Warning' as const, reason, message });

void describe('event correlation', () => {
  void it('folds an exact repeat into the first event with count and lastTime', () => {
    const c = createEventCorrelator();
    assert.equal(c.correlate(event('exit 1'), 0).kind, 'new');
    const second = c.correlate({ ...event('exit 1'), time: 'later' }, 1000);
    assert.equal(second.kind, 'folded');
    assert.deepEqual(second.event, { ...event('exit 1'), count: 2, lastTime: 'later' });
  });

  void it('combines similar events beyond the first few, and starts afresh after the window', () => {
    const c = createEventCorrelator();
    const kinds = Array.from({ length: MAX_SIMILAR + 5 }, (_, i) => c.correlate(event(`exit ${i}`), i).kind);
    assert.deepEqual(kinds, [...Array<string>(MAX_SIMILAR + 1).fill('new'), ...Array<string>(4).fill('folded')]);
    const last = c.correlate(event('exit 99'), MAX_SIMILAR + 5);
    assert.match(last.event.message, /^\(combined from similar events\): exit 99$/);
    assert.equal(c.correlate(event('exit 0'), SERIES_WINDOW_MS * 3).kind, 'new');
  });

  void it('keeps other instances and reasons apart', () => {
    const c = createEventCorrelator();
    c.correlate(event('x'), 0);
    assert.equal(c.correlate({ ...event('x'), instance: 'web-1' }, 1).kind, 'new');
    assert.equal(c.correlate(event('x', 'Restarted'), 2).kind, 'new');
  });
});

void describe('event log files', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-events-'));
    dirs.push(dir);
    return dir;
  };

  void it('writes a flapping program in a few lines', async () => {
    const dir = tempDir();
    const clock = createFakeClock(0);
    const log = openEventLog(dir, clock);
    for (let i = 0; i < 5000; i++) {
      log.record({ object: 'process/flap', instance: 'flap-0', type: 'Warning', reason: 'Exited', message: `exited with code 1 (pid ${1000 + i})` });
      log.record({ object: 'process/flap', instance: 'flap-0', type: 'Normal', reason: 'BackOff', message: 'restarting in 0s' });
      clock.advance(100);
    }
    await log.close();
    const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n');
    assert.ok(lines.length < 100, `${lines.length} lines`);
    const last = JSON.parse(lines.at(-1) ?? '{}') as { count?: number };
    assert.ok((last.count ?? 0) > 1);
    assert.ok(log.recent().length < 50);
  });

  void it('rotates by size inside one burst', async () => {
    const dir = tempDir();
    const path = join(dir, 'events.jsonl');
    const appender = createAppender({ path, rotateBytes: 10_000, maxBufferedBytes: 1 << 20, retryMs: 10, now: () => 0, onChange: () => undefined });
    for (let i = 0; i < 2000; i++) appender.append(`${JSON.stringify({ i, pad: 'x'.repeat(40) })}\n`);
    await appender.flush();
    appender.close();
    assert.ok(statSync(path).size <= 10_000, `${statSync(path).size}`);
    assert.ok(statSync(`${path}.1`).size <= 10_000);
    assert.deepEqual(readdirSync(dir).sort(), ['events.jsonl', 'events.jsonl.1']);
  });

  void it('keeps lines while the file cannot be written and recovers when it can', async () => {
    const dir = tempDir();
    const folder = join(dir, 'state');
    mkdirSync(folder);
    const path = join(folder, 'events.jsonl');
    let now = 0;
    const changes: AppenderChange[] = [];
    const appender = createAppender({ path, rotateBytes: 1 << 20, maxBufferedBytes: 1 << 20, retryMs: 1000, now: () => now, onChange: (c) => changes.push(c) });
    appender.append('one\n');
    await appender.flush();
    appender.close();
    rmSync(folder, { recursive: true });
    appender.append('two\n');
    await appender.flush();
    appender.append('three\n');
    await appender.flush();
    assert.deepEqual(changes.map((c) => c.kind), ['failed']);
    mkdirSync(folder);
    now = 500;
    appender.append('four\n');
    await appender.flush();
    assert.equal(changes.length, 1, 'no retry before the pause');
    now = 1500;
    appender.append('five\n');
    await appender.flush();
    assert.deepEqual(changes, [changes[0], { kind: 'recovered', dropped: 0 }]);
    assert.equal(readFileSync(path, 'utf8'), 'two\nthree\nfour\nfive\n');
    appender.close();
  });
});
