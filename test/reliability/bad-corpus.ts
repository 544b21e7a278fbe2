/**
 * A generated corpus of bad manifests, each one file that must be refused with a positioned
 * error: huge numbers, durations and quantities in every bounded field, deep nesting, alias
 * bombs, non-UTF-8 bytes, NUL bytes, wrong types, duplicates (of each other and of the "keeper"
 * object the suite keeps running), bad names, too many documents or keys, custom tags and plain
 * YAML syntax errors. Deterministic: the same corpus every run.
 */

/** One bad file: a name for reports and its bytes. */
export interface BadManifest {
  readonly name: string;
  readonly bytes: Buffer;
}

/** The name of the object the suite keeps running beside the corpus. */
export const KEEPER = 'keeper';

const HUGE_DIGITS = '9'.repeat(400);

const head = (kind: string, name: string): string[] => ['apiVersion: tend/v1', `kind: ${kind}`, `metadata: {name: ${name}}`, 'spec:'];
const doc = (kind: string, name: string, spec: readonly string[]): string => [...head(kind, name), ...spec.map((l) => `  ${l}`), ''].join('\n');
const proc = (name: string, ...spec: string[]): string => doc('Process', name, ['command: ["sleep", "1000"]', ...spec]);
const job = (name: string, ...spec: string[]): string => doc('Job', name, ['command: ["true"]', ...spec]);
const pool = (name: string, ...spec: string[]): string => doc('ProcessPool', name, ['template: {command: ["sleep", "1000"]}', ...spec]);
const node = (name: string, ...spec: string[]): string => doc('Node', name, spec);

// A field path like `stop.gracePeriod` as flow YAML with `value` at its end.
function field(path: string, value: string): string {
  const parts = path.split('.');
  const last = parts.pop() ?? '';
  return parts.reduceRight((inner, key) => `${key}: {${inner}}`, `${last}: ${value}`);
}

const DURATIONS: readonly [string, (name: string, line: string) => string][] = [
  ['stop.gracePeriod', proc], ['startupTimeout', proc], ['backoff.initialDelay', proc], ['backoff.maxDelay', proc],
  ['backoff.resetAfter', proc], ['circuitBreaker.window', proc], ['circuitBreaker.cooldown', proc],
  ['probes.liveness.period', (n, l) => proc(n, field('probes.liveness', `{tcp: {port: 80}, ${l.replace(/^probes: \{liveness: \{/, '').replace(/\}\}$/, '')}}`))],
  ['lifecycle.preStart.timeout', (n, l) => proc(n, `lifecycle: {preStart: {exec: ["true"], ${l.replace(/^lifecycle: \{preStart: \{/, '').replace(/\}\}$/, '')}}}`)],
  ['activeDeadline', job], ['ttlAfterFinished', job], ['idleTimeout', pool], ['leaseTimeout', pool],
  ['aging.every', node], ['timeSlice', node], ['monitor.interval', node],
];
const DURATION_VALUES = ['597000h', `${HUGE_DIGITS}s`, `"${HUGE_DIGITS}ms"`, `1${'0'.repeat(320)}`, '-5s', '"5 s"', '1e400', 'true'];

const NUMBERS: readonly [string, (name: string, line: string) => string][] = [
  ['replicas', proc], ['maxRestarts', proc], ['backoff.multiplier', proc], ['backoff.jitter', proc],
  ['circuitBreaker.maxFailures', proc], ['updateStrategy.maxUnavailable', proc], ['updateStrategy.maxSurge', proc],
  ['logs.maxFiles', proc], ['resources.limits.fds', proc], ['resources.limits.threads', proc], ['alerts.warnAt', proc],
  ['completions', job], ['parallelism', job], ['backoffLimit', job],
  ['minReplicas', pool], ['maxReplicas', pool], ['maxLeasesPerWorker', pool],
  ['maxConcurrentJobs', node], ['aging.boost', node], ['capacity.licenses', node],
];
const NUMBER_VALUES = [HUGE_DIGITS, '1e400', '-1e400', '10000000000000', '-1', '"many"', '.nan', '0x7fffffffffffffffffff'];

const QUANTITIES: readonly [string, (name: string, line: string) => string][] = [
  ['resources.limits.memory', proc], ['resources.limits.diskWrite', proc], ['logs.maxSize', proc],
  ['resources.requests.memory', proc], ['capacity.memory', node], ['capacity.disk', node],
];
const QUANTITY_VALUES = [HUGE_DIGITS, `"${HUGE_DIGITS}"`, '"9999Ei"', '"1e3Gi"', '-1', '"12 Mi"'];
const CPU_FIELDS: readonly [string, (name: string, line: string) => string][] = [['resources.limits.cpu', proc], ['resources.requests.cpu', proc], ['capacity.cpu', node]];
const CPU_VALUES = [`"${HUGE_DIGITS}m"`, HUGE_DIGITS, '1e400', '"-1"', '"half"'];

function bounded(): [string, string][] {
  const out: [string, string][] = [];
  const add = (group: string, fields: readonly [string, (name: string, line: string) => string][], values: readonly string[]): void => {
    fields.forEach(([path, make], f) => values.forEach((value, v) => out.push([`${group}-${f}-${v}-${path}`, make(`b${f}v${v}`, field(path, value))])));
  };
  add('duration', DURATIONS, DURATION_VALUES);
  add('number', NUMBERS, NUMBER_VALUES);
  add('quantity', QUANTITIES, QUANTITY_VALUES);
  add('cpu', CPU_FIELDS, CPU_VALUES);
  return out;
}

function structure(): [string, string][] {
  const out: [string, string][] = [];
  for (const depth of [65, 200, 5_000, 100_000]) {
    out.push([`nest-flow-${depth}`, proc('nest', `env: ${'['.repeat(depth)}${']'.repeat(depth)}`)]);
    out.push([`nest-map-${depth}`, proc('nest', `env: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`)]);
  }
  for (const depth of [70, 300, 3_000]) {
    out.push([`nest-block-${depth}`, `${Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`]);
    out.push([`nest-seq-${depth}`, `${'- '.repeat(depth)}x\n`]);
  }
  for (const [width, levels] of [[9, 9], [10, 12], [2, 40], [100, 3]] as const) {
    const rows = [`l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`];
    for (let i = 1; i <= levels; i++) rows.push(`l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]`);
    out.push([`alias-bomb-${width}x${levels}`, `${rows.join('\n')}\n`]);
    out.push([`alias-bomb-in-spec-${width}x${levels}`, `${proc('bomb', `env: {A: *l${levels}}`).replace('spec:', `x-anchors: &anchors\n${rows.map((r) => `  ${r}`).join('\n')}\nspec:`)}`]);
  }
  out.push(['documents-2000', '---\n'.repeat(2000)]);
  out.push(['documents-100000', '---\n'.repeat(60_000)]);
  out.push(['bad-documents-1500', Array.from({ length: 1500 }, (_, i) => `---\nkind: Bad${i}\n`).join('')]);
  out.push(['env-keys-20000', proc('keys', 'env:', ...Array.from({ length: 20_000 }, (_, i) => `  K${i}: v`))]);
  out.push(['argv-10000', proc('argv').replace('command: ["sleep", "1000"]', `command: [${Array(10_000).fill('"a"').join(',')}]`)]);
  out.push(['string-200k', proc('long', `workingDir: "${'d'.repeat(200_000)}"`)]);
  out.push(['file-300k', `${proc('big')}#${'x'.repeat(300 * 1024)}\n`]);
  out.push(['dependsOn-500', proc('deps', `dependsOn: [${Array.from({ length: 500 }, (_, i) => `{name: d${i}}`).join(', ')}]`)]);
  out.push(['labels-100', proc('labels').replace('metadata: {name: labels}', `metadata: {name: labels, labels: {${Array.from({ length: 100 }, (_, i) => `l${i}: v`).join(', ')}}}`)]);
  out.push(['label-number-huge', proc('lbl').replace('metadata: {name: lbl}', `metadata: {name: lbl, labels: {n: ${HUGE_DIGITS}}}`)]);
  out.push(['env-number-huge', proc('envnum', `env: {N: ${HUGE_DIGITS}}`)]);
  out.push(['long-key', proc('lk', `env: {${'K'.repeat(5000)}: v}`)]);
  return out;
}

function kernelStrings(): [string, string][] {
  return [
    ['nul-argv', proc('nul', 'workingDir: /tmp').replace('"1000"', '"10\\0"')],
    ['nul-env', proc('nul', 'env: {A: "x\\0y"}')],
    ['nul-secret', proc('nul', 'env: {TOKEN: {value: "hunter2\\0", secret: true}}')],
    ['nul-workingdir', proc('nul', 'workingDir: "/tmp\\0/x"')],
    ['nul-shell', doc('Process', 'nul', ['command: "echo \\0"', 'shell: true'])],
    ['nul-hook', proc('nul', 'lifecycle: {preStart: {exec: ["tr\\0ue"]}}')],
    ['nul-probe', proc('nul', 'probes: {liveness: {exec: ["a\\0b"]}}')],
    ['nul-fallback', proc('nul', 'recovery: {strategy: fallback, fallback: {command: ["x\\0"]}}')],
    ['nul-user', proc('nul', 'user: "www\\0data"')],
    ['nul-url', proc('nul', 'probes: {readiness: {http: {url: "http://127.0.0.1/\\0"}}}')],
  ];
}

function types(): [string, string][] {
  return [
    ['type-command-number', doc('Process', 'types', ['command: 5'])],
    ['type-command-map', doc('Process', 'types', ['command: {a: 1}'])],
    ['type-command-empty', doc('Process', 'types', ['command: []'])],
    ['type-command-string', doc('Process', 'types', ['command: "sleep 1"'])],
    ['type-env-list', proc('types', 'env: [a, b]')],
    ['type-spec-string', [...head('Process', 'types'), '  just text', ''].join('\n').replace('spec:\n  just text', 'spec: just text')],
    ['type-spec-missing', ['apiVersion: tend/v1', 'kind: Process', 'metadata: {name: types}', ''].join('\n')],
    ['type-metadata-list', ['apiVersion: tend/v1', 'kind: Process', 'metadata: [a]', 'spec: {command: [x]}', ''].join('\n')],
    ['type-kind-number', ['apiVersion: tend/v1', 'kind: 5', 'metadata: {name: a}', 'spec: {command: [x]}', ''].join('\n')],
    ['type-kind-unknown', ['apiVersion: tend/v1', 'kind: Deployment', 'metadata: {name: a}', 'spec: {command: [x]}', ''].join('\n')],
    ['type-apiversion', ['apiVersion: v2', 'kind: Process', 'metadata: {name: a}', 'spec: {command: [x]}', ''].join('\n')],
    ['type-top-list', '- a\n- b\n'],
    ['type-top-scalar', 'hello\n'],
    ['type-restart-policy', proc('types', 'restartPolicy: always')],
    ['type-unknown-field', proc('types', 'replica: 2')],
    ['type-signal', proc('types', 'stop: {signal: SIGFOO}')],
    ['type-cron', job('types', 'schedule: "61 * * * *"')],
    ['type-user-object', proc('types', 'user: {name: root}')],
    ['type-pool-ports', pool('types', 'maxReplicas: 5', 'ports: {from: 9000, to: 9001}')],
    ['type-pool-min-max', pool('types', 'minReplicas: 5', 'maxReplicas: 2')],
    ['type-update-zero', proc('types', 'updateStrategy: {maxUnavailable: 0, maxSurge: 0}')],
  ];
}

function names(): [string, string][] {
  const bad = ['Web_Server', '-web', 'web-', 'a'.repeat(64), '""', '../etc', 'a/b', 'wéb', '"web server"', '"."', '5e3000', 'null'];
  return bad.map((name, i): [string, string] => [`name-${i}`, proc(name)]);
}

function duplicates(): [string, string][] {
  return [
    ['dup-in-file', `${proc('twice')}---\n${proc('twice')}`],
    ['dup-keeper', proc(KEEPER, 'env: {TAKEN: "over"}')],
    ['dup-keeper-pool', pool(KEEPER)],
    ['dup-key', `${proc('dupkey')}  replicas: 2\n  replicas: 3\n`],
    ['two-nodes', `${node('one')}---\n${node('two')}`],
    ['self-dependency', proc('selfdep', 'dependsOn: [{name: selfdep}]')],
    ['unknown-dependency', proc('lonely', 'dependsOn: [{name: nobody-here}]')],
  ];
}

function syntax(): [string, string][] {
  return [
    ['tag-custom', proc('tag', 'env: !secret {A: 1}')],
    ['tag-binary', proc('tag', 'env: {A: !!binary aGVsbG8=}')],
    ['tag-python', proc('tag', 'env: !!python/object:os.system ["id"]')],
    ['tag-set', proc('tag', 'env: !!set {a, b}')],
    ['tag-timestamp', proc('tag', 'env: {A: !!timestamp 2001-12-14}')],
    ['alias-unknown', proc('alias', 'env: *nowhere')],
    ['merge-scalar', proc('merge', '<<: 5')],
    ['collection-key', proc('ckey', 'env:', '  ? [a, b]', '  : 1')],
    ['tabs', proc('tabs').replace('spec:\n  ', 'spec:\n\t')],
    ['unterminated-quote', proc('quote', 'env: {A: "open}')],
    ['unterminated-flow', proc('flow', 'env: {A: [1, 2}')],
    ['bad-indent', `${proc('indent')}   replicas: 2\n`],
    ['priority-huge', proc('prio', `priority: ${HUGE_DIGITS}`)],
    ['priority-large', proc('prio', 'priority: 10000000000')],
    ['control-chars', `${proc('ctrl')}\u0007\u0001: x\n`],
    ['only-colon', ':\n'],
    ['bom-utf16', ''],
  ];
}

function encodings(): BadManifest[] {
  const valid = Buffer.from(proc('enc'));
  return [
    { name: 'latin1-name', bytes: Buffer.from(proc('caf\u00e9'), 'latin1') },
    { name: 'latin1-comment', bytes: Buffer.concat([valid, Buffer.from('# d\u00e9j\u00e0\n', 'latin1')]) },
    { name: 'utf16le', bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(proc('enc'), 'utf16le')]) },
    { name: 'lone-continuation', bytes: Buffer.concat([valid.subarray(0, 20), Buffer.from([0x80]), valid.subarray(20)]) },
    { name: 'overlong', bytes: Buffer.concat([valid, Buffer.from([0x23, 0xc0, 0xaf, 0x0a])]) },
    { name: 'surrogate', bytes: Buffer.concat([valid, Buffer.from([0x23, 0xed, 0xa0, 0x80, 0x0a])]) },
    { name: 'truncated-sequence', bytes: Buffer.concat([valid, Buffer.from([0x23, 0xe2, 0x82])]) },
    { name: 'nul-bytes', bytes: Buffer.concat([valid.subarray(0, 30), Buffer.from([0, 0, 0]), valid.subarray(30)]) },
    { name: 'random-binary', bytes: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)) },
  ];
}

/** The whole corpus, in a stable order. */
export function badCorpus(): BadManifest[] {
  const texts = [...bounded(), ...structure(), ...kernelStrings(), ...types(), ...names(), ...duplicates(), ...syntax().filter(([n]) => n !== 'bom-utf16')];
  return [...texts.map(([name, text]) => ({ name, bytes: Buffer.from(text) })), ...encodings()];
}
