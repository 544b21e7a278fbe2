/**
 * Resource monitoring on real programs through `tend up`: each figure of `get -o json` `usage`
 * (memory, CPU, fds, sockets, threads, disk writes) within 10 % of what this test reads from
 * /proc itself, a child's usage counted in its parent's instance, `top`, `/metrics`, and
 * `monitor: {interval: 0s}` turning sampling off.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createWorld, FIXTURES, groupMembers, itemOf, processManifest, waitFor, type World } from './harness.ts';

interface Usage {
  cpu: number;
  memory: number;
  fds: number;
  threads: number;
  sockets: number;
  diskReadBps?: number;
  diskWriteBps?: number;
}

let world: World;

const PROGRAMS: Readonly<Record<string, string>> = {
  memory: 'alloc-memory.js 96',
  spin: 'spin.js',
  files: 'open-files.js 150',
  threads: 'start-threads.js 6',
  disk: `write-disk.js ${4 * 1024 * 1024}`,
  parent: 'parent-of-alloc.js 80',
};

before(async () => {
  world = createWorld();
  for (const [name, program] of Object.entries(PROGRAMS)) {
    const [script = '', ...args] = program.split(' ');
    world.write(`${name}.yaml`, processManifest(name, `command: ${JSON.stringify(['node', join(FIXTURES, script), ...args])}`, `workingDir: ${world.root}`));
  }
  await world.up();
  await waitFor('every program sampled', () => world.items().every((i) => i.instances[0] && usageOf(i.key) !== undefined), 30_000);
});

after(() => world.cleanup());

function usageOf(key: string): Usage | undefined {
  return (itemOf(world.items(), key).instances[0] as { usage?: Usage } | undefined)?.usage;
}

function pidOf(key: string): number {
  const pid = itemOf(world.items(), key).instances[0]?.pid;
  if (!pid) throw new Error(`${key} has no pid`);
  return pid;
}

// This test's own reading of a process group, from other files than tend reads where there are any.
interface Own {
  readonly at: number;
  readonly memory: number;
  readonly threads: number;
  readonly fds: number;
  readonly sockets: number;
  readonly cpuTicks: number;
  readonly writeBytes: number;
}

function readOwn(pgid: number): Own {
  const own = { at: performance.now(), memory: 0, threads: 0, fds: 0, sockets: 0, cpuTicks: 0, writeBytes: 0 };
  for (const pid of groupMembers(pgid)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      own.memory += Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
      own.threads += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      const fds = readdirSync(`/proc/${pid}/fd`);
      own.fds += fds.length;
      own.sockets += fds.filter((fd) => linkOf(`/proc/${pid}/fd/${fd}`).startsWith('socket:')).length;
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      own.cpuTicks += Number(fields[11]) + Number(fields[12]);
      own.writeBytes += Number(/^write_bytes: (\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
    } catch {
      // Exited while read.
    }
  }
  return own;
}

function linkOf(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

function within10(actual: number | undefined, expected: number): boolean {
  return actual !== undefined && Math.abs(actual - expected) <= 0.1 * expected;
}

// Polls until tend's figure is within 10 % of this test's own, read at about the same time.
async function agrees(key: string, figure: (u: Usage) => number | undefined, own: (o: Own) => number): Promise<void> {
  const seen: string[] = [];
  await waitFor(`${key}: usage within 10 % of /proc`, () => {
    const usage = usageOf(key);
    const expected = own(readOwn(pidOf(key)));
    seen.push(`${usage ? figure(usage) : '-'} vs ${expected}`);
    return within10(usage ? figure(usage) : undefined, expected);
  }, 30_000).catch((error: Error) => {
    throw new Error(`${error.message}; last readings (tend vs /proc): ${seen.slice(-5).join(', ')}`);
  });
}

// Polls rates: this test's own rate over a window of about a second, against tend's latest figure.
async function rateAgrees(key: string, figure: (u: Usage) => number | undefined, counter: (o: Own) => number, perSecond: number): Promise<number> {
  const deadline = Date.now() + 40_000;
  const seen: string[] = [];
  for (;;) {
    const first = readOwn(pidOf(key));
    await waitFor('a window of a second', () => performance.now() - first.at >= 1000);
    const second = readOwn(pidOf(key));
    const expected = ((counter(second) - counter(first)) * perSecond) / ((second.at - first.at) / 1000);
    const usage = usageOf(key);
    const actual = usage ? figure(usage) : undefined;
    seen.push(`${actual ?? '-'} vs ${expected.toFixed(0)}`);
    if (within10(actual, expected)) return expected;
    if (Date.now() > deadline) throw new Error(`${key}: rate not within 10 % of /proc; last readings (tend vs /proc): ${seen.slice(-5).join(', ')}`);
  }
}

test('memory: an allocating program\'s RSS', async () => {
  await agrees('process/memory', (u) => u.memory, (o) => o.memory);
  assert.ok((usageOf('process/memory')?.memory ?? 0) > 96 * 1024 * 1024);
});

test('CPU: a program that spins a core', async () => {
  const expected = await rateAgrees('process/spin', (u) => u.cpu, (o) => o.cpuTicks, 1);
  // A busy machine gives the spinner what is left; an idle program would be near 0.
  assert.ok(expected > 5, `the spinner got ${expected} % of a core`);
});

test('fds and sockets: a program with many open files and three sockets', async () => {
  await agrees('process/files', (u) => u.fds, (o) => o.fds);
  assert.ok((usageOf('process/files')?.fds ?? 0) >= 150);
  await agrees('process/files', (u) => u.sockets, (o) => o.sockets);
  assert.ok((usageOf('process/files')?.sockets ?? 0) >= 3);
});

test('threads: a program with worker threads', async () => {
  await agrees('process/threads', (u) => u.threads, (o) => o.threads);
  assert.ok((usageOf('process/threads')?.threads ?? 0) >= 7);
});

test('disk: a program writing about 4 MiB/s', async () => {
  const expected = await rateAgrees('process/disk', (u) => u.diskWriteBps, (o) => o.writeBytes, 1);
  assert.ok(expected > 2 * 1024 * 1024, `the writer wrote ${expected} B/s`);
});

test("a child's memory counts in its parent's instance", async () => {
  const parent = pidOf('process/parent');
  await waitFor('the child runs', () => groupMembers(parent).length >= 2);
  const child = groupMembers(parent).find((pid) => pid !== parent) ?? 0;
  const childRss = (): number => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  await waitFor('the child allocated', () => childRss() > 80 * 1024 * 1024);
  await agrees('process/parent', (u) => u.memory, (o) => o.memory);
  assert.ok((usageOf('process/parent')?.memory ?? 0) > childRss(), 'more than the child alone');
});

test('top prints one snapshot when not a terminal, sorted by CPU', () => {
  const r = world.tend('top');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0] ?? '', /^OBJECT\s+INSTANCE\s+PID\s+CPU\s+MEM\s+FDS\s+THREADS\s+READ\/s\s+WRITE\/s\s+SOCKETS$/);
  assert.match(lines[1] ?? '', /^process\/spin\s/);
  const byMem = world.tend('top', '--sort', 'mem', '-o', 'json');
  const items = (JSON.parse(byMem.stdout) as { items: { object: string; usage: Usage }[] }).items;
  assert.deepEqual(items.map((i) => i.usage.memory), items.map((i) => i.usage.memory).sort((a, b) => b - a));
  assert.equal(world.tend('top', '--sort', 'size').code, 2);
});

test('/metrics carries every usage figure per instance', async () => {
  const text = await metrics();
  for (const name of ['cpu_percent', 'memory_bytes', 'fds', 'threads', 'disk_read_bytes_per_second', 'disk_write_bytes_per_second', 'sockets']) {
    assert.match(text, new RegExp(`^tend_instance_${name}\\{kind="Process",name="files",instance="files-0"\\} \\d`, 'm'), name);
  }
});

test('monitor: {interval: 0s} in the Node object turns sampling off; removing it turns it on again', async () => {
  world.write('node.yaml', ['apiVersion: tend/v1', 'kind: Node', 'metadata: {name: local}', 'spec:', '  monitor: {interval: 0s}', ''].join('\n'));
  await waitFor('usage gone', () => usageOf('process/memory') === undefined);
  assert.match(world.tend('top').stdout, /sampling is off/);
  world.remove('node.yaml');
  await waitFor('usage back', () => usageOf('process/memory') !== undefined);
});

test('top without a running controller says so', async () => {
  const other = createWorld();
  try {
    const r = other.tend('top');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no controller runs.*tend up/);
  } finally {
    await other.cleanup();
  }
});

function metrics(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(world.stateDir, 'tend.sock'), path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}
