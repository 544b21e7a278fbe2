/** `tend top`'s rows: live instances only, sorted by CPU, memory or name; `-` before the first sample. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ObjectView } from '../../src/controller/status.ts';
import { renderTop, topRows } from '../../src/cli/commands/top.ts';

const usage = (cpu: number, memory: number) => ({ cpu, memory, fds: 4, threads: 1, sockets: 0, diskReadBps: 0, diskWriteBps: 2048 });

function view(key: string, instances: { id: string; pid: number | null; usage?: ReturnType<typeof usage> }[]): ObjectView {
  return { key, kind: 'Process', name: key.slice(8), instances } as unknown as ObjectView;
}

const views = [
  view('process/web', [{ id: 'web-0', pid: 10, usage: usage(5, 300) }, { id: 'web-1', pid: null }]),
  view('process/api', [{ id: 'api-0', pid: 20, usage: usage(50, 100) }, { id: 'api-1', pid: 21 }]),
];

void it('lists live instances, highest CPU first, unsampled last', () => {
  assert.deepEqual(topRows(views, 'cpu').map((r) => r.instance), ['api-0', 'web-0', 'api-1']);
  assert.deepEqual(topRows(views, 'mem').map((r) => r.instance), ['web-0', 'api-0', 'api-1']);
  assert.deepEqual(topRows(views, 'name').map((r) => r.instance), ['api-0', 'api-1', 'web-0']);
});

void it('renders the columns, with - before the first sample and a note when sampling is off', () => {
  const text = renderTop(topRows(views, 'cpu'), 1000);
  const [header, first, , last] = text.trimEnd().split('\n');
  assert.match(header ?? '', /^OBJECT\s+INSTANCE\s+PID\s+CPU\s+MEM\s+FDS\s+THREADS\s+READ\/s\s+WRITE\/s\s+SOCKETS$/);
  assert.match(first ?? '', /^process\/api\s+api-0\s+20\s+50\.0%\s+100\s+4\s+1\s+0\/s\s+2\.0Ki\/s\s+0$/);
  assert.match(last ?? '', /^process\/api\s+api-1\s+21\s+-\s+-/);
  assert.match(renderTop([], 1000), /No running instances/);
  assert.match(renderTop(topRows(views, 'cpu'), 0), /sampling is off/);
});
