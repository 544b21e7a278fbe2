// Build step (bin/build.mjs): a V8 code cache for each bundle of the CLI (bin/bundle-cli.mjs),
// written to dist/cli/cache/NAME.bin by bin/tend.js (TEND_CODE_CACHE_OUT) when a real run of a
// command of that bundle ends, so it holds the functions the run compiled. `up`, `get` and
// `validate` do their work; the other commands print their --help (the command line, not the
// command), and main.cjs prints the version.
//
// `get` is trained against a stand-in for the controller: a Unix socket in a temp state dir that
// answers every request with the object list `tend get -o json` printed for the example manifests
// (read offline), so the run takes the path a user's `tend get` takes, request to table.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Writes dist/cli/cache/*.bin for `bundles` (command name to bundle); `root` is the project
 * root. Resolves once every run ended.
 */
export async function trainCodeCaches(root, bundles) {
  const cacheDir = join(root, 'dist', 'cli', 'cache');
  mkdirSync(cacheDir, { recursive: true });
  const temp = mkdtempSync(join(tmpdir(), 'tend-build-'));
  const examples = join(root, 'manifests');
  const worked = existsSync(examples) ? ['get', 'validate'] : [];
  const ran = ['up', ...worked];
  // A copy of the example manifests only this user can change: as root, tend refuses files and
  // folders others could write, which a checkout's may be.
  const manifests = join(temp, 'manifests');
  try {
    if (worked.length > 0) copyYaml(examples, manifests);
    await train(root, cacheDir, 'main', ['--version']);
    await trainUp(root, cacheDir, temp);
    const helped = [...new Set(Object.values(bundles))].filter((bundle) => !ran.includes(bundle));
    for (const bundle of helped) {
      const name = Object.keys(bundles).find((n) => bundles[n] === bundle);
      await train(root, cacheDir, bundle, [name, '--help']);
    }
    if (worked.length === 0) return;
    await train(root, cacheDir, 'validate', ['validate', '-d', manifests]);
    await trainGet(root, cacheDir, manifests, temp);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

// A program whose bring-up trains `up`: one `sleep`, restarted at once, as most manifests say.
const TRAINING_MANIFEST = `apiVersion: tend/v1
kind: Process
metadata:
  name: train
spec:
  command: [sleep, "60"]
  restartPolicy: Always
  backoff: {strategy: fixed, initialDelay: 0, maxDelay: 0, jitter: 0}
`;

// \`up\` on a manifest dir and state dir of its own, stopped by SIGTERM (as Ctrl-C stops it) once
// its program started: the cache holds the load, plan, spawn and stop of a real bring-up.
async function trainUp(root, cacheDir, temp) {
  const manifests = join(temp, 'up-manifests');
  const stateDir = join(temp, 'up-state');
  mkdirSync(manifests, { mode: 0o700 });
  writeFileSync(join(manifests, 'train.yaml'), TRAINING_MANIFEST, { mode: 0o600 });
  const out = join(cacheDir, 'up.bin');
  const args = [join(root, 'bin', 'tend.js'), 'up', '-d', manifests, '--state-dir', stateDir];
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, TEND_CODE_CACHE_OUT: out }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const closed = new Promise((resolve) => child.on('close', resolve));
  const started = await startedIn(join(stateDir, 'events.jsonl'), closed);
  child.kill('SIGTERM');
  const code = await closed;
  if (started && code === 0) return;
  rmSync(out, { force: true });
  process.stderr.write(`tend: no code cache for up.cjs: tend up ${started ? `exited ${code}` : 'started no program'}: ${stderr}`);
}

// True once the event log records a start; false when the controller ended first or 20 s passed.
async function startedIn(events, closed) {
  let ended = false;
  void closed.then(() => (ended = true));
  for (const deadline = Date.now() + 20_000; !ended && Date.now() < deadline; ) {
    if (existsSync(events) && readFileSync(events, 'utf8').includes('"Started"')) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function trainGet(root, cacheDir, manifests, temp) {
  const offline = await run(root, ['get', '-o', 'json', '-d', manifests, '--state-dir', join(temp, 'offline')]);
  const stateDir = join(temp, 'served');
  mkdirSync(stateDir, { mode: 0o700 });
  const socket = join(stateDir, 'tend.sock');
  const server = serve(socket, offline.stdout, await summariesOf(root, manifests, join(temp, 'offline')));
  await new Promise((resolve) => server.once('listening', resolve));
  // The CLI talks only to a socket no one else could have planted, as the controller makes it.
  chmodSync(socket, 0o600);
  try {
    await train(root, cacheDir, 'get', ['get', '-d', manifests, '--state-dir', stateDir]);
  } finally {
    server.close();
  }
}

// The one-line summaries (`?view=summary`, what the table asks for) of the manifests, from the
// offline reader the build just wrote (dist/cli/offline.cjs), which builds them as the controller does.
async function summariesOf(root, manifests, stateDir) {
  const { offlineSummaries, readOffline } = createRequire(import.meta.url)(join(root, 'dist', 'cli', 'offline.cjs'));
  const ctx = { dir: manifests, stateDir, output: 'json', color: false, asRoot: process.getuid?.() === 0 };
  return JSON.stringify({ items: offlineSummaries(await readOffline(ctx)) });
}

// Answers every request the way the controller's API does for a CLI request: one HTTP/1.0
// response, then the connection closes. A request for the summary view gets the summaries.
function serve(path, views, summaries) {
  const server = createServer((socket) => {
    socket.once('data', (request) => {
      const body = /view=summary/.test(request.toString('latin1').split('\r\n')[0] ?? '') ? summaries : views;
      socket.end(`HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    socket.on('error', () => undefined);
  });
  return server.listen(path);
}

function copyYaml(from, to) {
  mkdirSync(to, { mode: 0o700 });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) copyYaml(join(from, entry.name), join(to, entry.name));
    else if (/\.ya?ml$/.test(entry.name)) writeFileSync(join(to, entry.name), readFileSync(join(from, entry.name)), { mode: 0o600 });
  }
}

// A failed run leaves its bundle without a cache (slower, not wrong): the build goes on.
async function train(root, cacheDir, name, args) {
  const out = join(cacheDir, `${name}.bin`);
  const result = await run(root, args, { TEND_CODE_CACHE_OUT: out });
  if (result.code === 0) return;
  rmSync(out, { force: true });
  process.stderr.write(`tend: no code cache for ${name}.cjs: tend ${args.join(' ')} failed (exit ${result.code}): ${result.stderr}`);
}

function run(root, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'tend.js'), ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
