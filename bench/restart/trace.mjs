// Where the time of one kill → replacement goes, hop by hop, from kernel tracepoints.
//
//   node bench/restart/trace.mjs [--tend bin/tend.js] [--n 50] [--kills 30] [--out /tmp/trace]
//
// Starts `tend up` with N zero-backoff `sleep` programs, then, under `perf record -a -k
// CLOCK_MONOTONIC`, SIGKILLs one program every 400-600 ms and polls /proc for its replacement
// (as the peer harness's crash probe does). From the trace, per kill (ms after the kill):
// program gone (sched_process_exit), its shim's wait4 returns, the order taken (unlink of
// <token>.order) or the exit file linked (linkat), the controller awake (its first epoll return
// after that), its first write (the spawn request), the fork of the program (clone3 by a shim),
// and the exec of the new `sleep`. Prints the median of each hop. Needs root (perf, /proc).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({ options: { tend: { type: 'string', default: 'bin/tend.js' }, n: { type: 'string', default: '50' }, kills: { type: 'string', default: '30' }, out: { type: 'string', default: '' } } });
const N = Number(opt.n);
const KILLS = Number(opt.kills);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tend-trace-'));
const mdir = path.join(dir, 'manifests');
const sdir = path.join(dir, 'state');
fs.mkdirSync(mdir, { mode: 0o755 });
fs.mkdirSync(sdir, { mode: 0o700 });
const tag = String(process.pid % 10000).padStart(4, '0');
const markers = Array.from({ length: N }, (_, i) => `100000.${tag}${String(i).padStart(5, '0')}`);
markers.forEach((marker, i) => {
  fs.writeFileSync(path.join(mdir, `p${i}.yaml`), `apiVersion: tend/v1\nkind: Process\nmetadata: {name: p${i}}\nspec:\n  command: ["/bin/sleep", "${marker}"]\n  restartPolicy: Always\n  backoff: {strategy: fixed, initialDelay: 0, maxDelay: 0, jitter: 0}\n`, { mode: 0o644 });
});

const sleepMs = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
function pidsOf() {
  const found = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0');
      if (path.basename(argv[0]) === 'sleep' && argv[1]?.startsWith(`100000.${tag}`)) found.set(argv[1], Number(name));
    } catch { /* gone */ }
  }
  return found;
}

const tend = spawn(process.execPath, [path.resolve(opt.tend), 'up', '-d', mdir, '--state-dir', sdir], { stdio: 'ignore', detached: true });
const deadline = Date.now() + 60_000;
while (pidsOf().size < N && Date.now() < deadline) sleepMs(50);
sleepMs(2000);
const traceFile = path.join(opt.out || dir, 'perf.data');
fs.mkdirSync(path.dirname(traceFile), { recursive: true });
const events = ['syscalls:sys_enter_kill', 'sched:sched_process_exit', 'syscalls:sys_exit_wait4', 'syscalls:sys_enter_unlink', 'syscalls:sys_enter_linkat', 'syscalls:sys_exit_epoll_pwait', 'syscalls:sys_exit_epoll_wait', 'syscalls:sys_enter_write', 'syscalls:sys_enter_clone3', 'sched:sched_process_exec'];
// The controller's epoll returns and writes only: the rest of a busy machine writes a lot.
const own = new Set(['syscalls:sys_exit_epoll_pwait', 'syscalls:sys_exit_epoll_wait', 'syscalls:sys_enter_write']);
const perfArgs = events.flatMap((e) => (own.has(e) ? ['-e', e, '--filter', `common_pid == ${tend.pid}`] : ['-e', e]));
const perf = spawn('perf', ['record', '-q', '-a', '-k', 'CLOCK_MONOTONIC', '-o', traceFile, ...perfArgs], { stdio: 'ignore' });
sleepMs(1500);
const trials = [];
for (let k = 0; k < KILLS; k++) {
  const marker = markers[(k * 7) % N];
  const before = pidsOf().get(marker);
  if (!before) continue;
  process.kill(before, 'SIGKILL');
  const t0 = Date.now();
  let after;
  while (Date.now() - t0 < 5000) {
    after = pidsOf().get(marker);
    if (after && after !== before) break;
    sleepMs(0.2);
  }
  trials.push({ killed: before, replacement: after });
  sleepMs(400 + Math.random() * 200);
}
perf.kill('SIGINT');
await new Promise((resolve) => perf.once('exit', resolve));
process.kill(tend.pid, 'SIGTERM');
await new Promise((resolve) => tend.once('exit', resolve));

const script = spawnSync('perf', ['script', '-i', traceFile, '-F', 'comm,pid,tid,time,event,trace'], { encoding: 'utf8', maxBuffer: 1 << 30 });
const lines = script.stdout.split('\n');
const parsed = [];
for (const line of lines) {
  const m = /^\s*(.+?)\s+(\d+)\/(\d+)\s+(\d+\.\d+):\s+(\S+):\s*(.*)$/.exec(line);
  if (m) parsed.push({ comm: m[1], pid: Number(m[2]), tid: Number(m[3]), t: Number(m[4]) * 1000, event: m[5], trace: m[6] });
}
const tendPid = tend.pid;
const hops = ['gone', 'wait4', 'order taken', 'exit file', 'controller awake', 'controller write', 'clone3', 'exec'];
const rows = [];
for (const { killed, replacement } of trials) {
  if (!replacement) continue;
  const kill = parsed.find((e) => e.event === 'syscalls:sys_enter_kill' && e.pid === process.pid && /pid: 0x([0-9a-f]+)/.test(e.trace) && parseInt(/pid: 0x([0-9a-f]+)/.exec(e.trace)[1], 16) === killed);
  if (!kill) continue;
  const after = (pred, from = kill.t) => parsed.find((e) => e.t >= from && pred(e));
  const gone = after((e) => e.event === 'sched:sched_process_exit' && e.pid === killed);
  const reaped = after((e) => e.event === 'syscalls:sys_exit_wait4' && e.comm === 'tend-shim' && /0x([0-9a-f]+)/.test(e.trace) && parseInt(/0x([0-9a-f]+)/.exec(e.trace)[1], 16) === killed);
  const shim = reaped?.pid;
  const taken = reaped && after((e) => e.event === 'syscalls:sys_enter_unlink' && e.pid === shim, reaped.t);
  const linked = reaped && after((e) => e.event === 'syscalls:sys_enter_linkat' && e.pid === shim, reaped.t);
  const exec = after((e) => e.event === 'sched:sched_process_exec' && e.pid === replacement);
  const awake = linked && after((e) => e.event.startsWith('syscalls:sys_exit_epoll') && e.pid === tendPid && e.tid === tendPid, linked.t);
  const wrote = awake && after((e) => e.event === 'syscalls:sys_enter_write' && e.tid === tendPid, awake.t);
  const clone = after((e) => e.event === 'syscalls:sys_enter_clone3' && e.comm === 'tend-shim' && (!exec || e.t <= exec.t), taken?.t ?? wrote?.t ?? kill.t);
  const at = { gone, wait4: reaped, 'order taken': taken && (!linked || taken.t < linked.t) ? taken : undefined, 'exit file': linked, 'controller awake': awake, 'controller write': wrote, clone3: clone, exec };
  rows.push(Object.fromEntries(hops.map((h) => [h, at[h] ? at[h].t - kill.t : undefined])));
}
const median = (xs) => { const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : undefined; };
console.log(`tend ${opt.tend}, ${rows.length} traced kills of ${trials.length}, load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log('| hop (ms after the kill, median) | ' + hops.join(' | ') + ' |');
console.log('|---|' + hops.map(() => '---').join('|') + '|');
console.log('| median | ' + hops.map((h) => { const m = median(rows.map((r) => r[h])); return m === undefined ? '—' : m.toFixed(2); }).join(' | ') + ' |');
console.log(`seen by the driver (exec ≤ seen): p50 kill→exec ${median(rows.map((r) => r.exec))?.toFixed(2)} ms`);
if (!opt.out) fs.rmSync(dir, { recursive: true, force: true });
