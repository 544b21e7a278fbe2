/**
 * The mapping decisions of the Kubernetes renderer, on manifests written in the test: which
 * workload each object becomes, where secrets go, what is an error, and the escaping of
 * Kubernetes' `$(VAR)` expansion.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { locate, parseManifestText } from '../../src/manifest/parse.ts';
import type { Kind } from '../../src/model/object.ts';
import type { KubeObject, RenderOptions, RenderSource } from '../../src/render/kubernetes/model.ts';
import { DEFAULT_WAIT_IMAGE, renderKubernetes } from '../../src/render/kubernetes/render.ts';
import { escapeExpansion } from '../../src/render/kubernetes/units.ts';

function sources(text: string): RenderSource[] {
  return parseManifestText(text, 'm.yaml').documents.map((doc) => {
    const value = doc.value as { kind: Kind; metadata: { name: string }; spec: Record<string, unknown> };
    return { kind: value.kind, name: value.metadata.name, labels: {}, spec: value.spec, file: 'm.yaml', sourcePath: 'm.yaml', locate: (p) => locate(doc, p), envFiles: [] };
  });
}

function render(text: string, options: Partial<RenderOptions> = { image: 'img:1' }) {
  return renderKubernetes(sources(text), { waitImage: DEFAULT_WAIT_IMAGE, ...options });
}

const kinds = (objects: readonly KubeObject[]): string[] => objects.filter((o) => o.kind !== 'PriorityClass').map((o) => `${o.kind}/${o.metadata.name}`);
const process = (name: string, spec: string): string => `apiVersion: tend/v1\nkind: Process\nmetadata: {name: ${name}}\nspec: ${spec}\n---\n`;

describe('workload kinds', () => {
  test('a restarting Process is a Deployment; one that names TEND_REPLICA or TEND_INSTANCE a StatefulSet with its Service', () => {
    const result = render(
      process('web', '{command: [web]}') +
        process('db', '{command: [db, "--id=$(TEND_REPLICA)"]}') +
        process('env', '{command: [x], env: {ID: "${TEND_INSTANCE}"}}') +
        process('probe', '{command: [x], probes: {readiness: {exec: [check, "$TEND_REPLICA"]}}}') +
        process('keep', '{command: [x], restartPolicy: UnlessStopped}'),
    );
    assert.deepEqual(kinds(result.objects), ['Service/db', 'Service/env', 'Service/probe', 'Deployment/keep', 'Deployment/web', 'StatefulSet/db', 'StatefulSet/env', 'StatefulSet/probe']);
  });

  test('one-shot Processes and Jobs are indexed Jobs, a scheduled Job a CronJob', () => {
    const result = render(
      process('once', '{command: [x], restartPolicy: Never, replicas: 3}') +
        process('retry', '{command: [x], restartPolicy: OnFailure, maxRestarts: 2}') +
        'apiVersion: tend/v1\nkind: Job\nmetadata: {name: batch}\nspec: {command: [x], completions: 5, parallelism: 2, backoffLimit: 1}\n---\n' +
        'apiVersion: tend/v1\nkind: Job\nmetadata: {name: nightly}\nspec: {command: [x], schedule: "@daily", concurrencyPolicy: Allow}\n',
    );
    assert.deepEqual(kinds(result.objects), ['Job/batch', 'Job/once', 'Job/retry', 'CronJob/nightly']);
    const spec = (name: string): Record<string, unknown> => result.objects.find((o) => o.metadata.name === name)?.spec as Record<string, unknown>;
    assert.deepEqual([spec('once').completions, spec('once').parallelism, spec('once').backoffLimit, spec('once').completionMode], [3, 3, 0, 'Indexed']);
    assert.equal(spec('retry').backoffLimitPerIndex, 2);
    assert.deepEqual([spec('batch').completions, spec('batch').parallelism, spec('batch').backoffLimit], [5, 2, 1]);
    assert.equal(spec('nightly').concurrencyPolicy, 'Allow');
  });
});

describe('images', () => {
  test('spec.image wins over --image', () => {
    const result = render(process('a', '{command: [x], image: own:2}') + process('b', '{command: [x]}'), { image: 'default:1' });
    const images = result.objects.filter((o) => o.kind === 'Deployment').map((o) => JSON.stringify(o).match(/"image":"([^"]+)"/)?.[1]);
    assert.deepEqual(images, ['own:2', 'default:1']);
  });

  test('a program without an image is an error naming the object and its place', () => {
    const result = render(process('a', '{command: [x]}'), {});
    assert.deepEqual(result.problems, [{ file: 'm.yaml', line: 4, col: 1, message: 'process/a: no container image: set spec.image or pass --image' }]);
  });
});

test('a StatefulSet or CronJob name longer than Kubernetes allows is an error at the name', () => {
  const long = 'a'.repeat(53);
  const result = render(process(long, '{command: [x, $TEND_REPLICA]}') + process('b'.repeat(53), '{command: [x]}'));
  assert.deepEqual(result.problems.map((p) => [p.line, p.message.replace(long, 'NAME')]), [[3, 'process/NAME: a StatefulSet name has at most 52 characters in Kubernetes (got 53); shorten the name']]);
});

test('a one-shot Process and a Job of one name cannot both be Job <name>', () => {
  const result = render(process('x', '{command: [x], restartPolicy: Never}') + 'apiVersion: tend/v1\nkind: Job\nmetadata: {name: x}\nspec: {command: [y]}\n');
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0]?.message ?? '', /Job\/x would be rendered twice/);
});

test('secret env values are only in a Secret, referenced by secretKeyRef', () => {
  const result = render(process('a', '{command: [x], env: {TOKEN: {value: hunter2, secret: true}, PLAIN: visible}}'));
  const holders = result.objects.filter((o) => JSON.stringify(o).includes('hunter2'));
  assert.deepEqual(holders.map((o) => `${o.kind}/${o.metadata.name}`), ['Secret/process-a-env']);
  assert.match(JSON.stringify(result.objects), /"name":"TOKEN","valueFrom":\{"secretKeyRef":\{"name":"process-a-env","key":"TOKEN"\}\}/);
});

test('a Node without preemption makes every PriorityClass non-preempting, and its capacity a quota every container states', () => {
  const result = render(process('a', '{command: [x], priority: high}') + 'apiVersion: tend/v1\nkind: Node\nmetadata: {name: n}\nspec: {preemption: false, capacity: {cpu: 4}}\n');
  const classes = result.objects.filter((o) => o.kind === 'PriorityClass');
  assert.deepEqual(classes.map((o) => [o.metadata.name, o.value, o.preemptionPolicy]), [['tend-high', 30, 'Never']]);
  assert.deepEqual(result.objects.find((o) => o.kind === 'ResourceQuota')?.spec, { hard: { 'requests.cpu': '4' } });
  assert.match(JSON.stringify(result.objects.find((o) => o.kind === 'Deployment')), /"resources":\{"requests":\{"cpu":"0"\}\}/);
});

test('dependsOn that Kubernetes can wait for becomes init containers; the rest is reported', () => {
  const result = render(
    process('db', '{command: [db], probes: {readiness: {tcp: {port: 5432}}}}') +
      process('api', '{command: [api], dependsOn: [{name: db, condition: ready}, {name: db, condition: started}]}'),
  );
  const api = result.objects.find((o) => o.metadata.name === 'api' && o.kind === 'Deployment');
  const init = (api?.spec as { template: { spec: { initContainers: { args: string[] }[] } } }).template.spec.initContainers;
  assert.deepEqual(init.map((c) => c.args.join(' ')), ['wait --for=create deployment/db --timeout=-1s', 'rollout status deployment/db --timeout=0s']);
  assert.deepEqual(result.notRendered.map((n) => n.field), ['spec.dependsOn[1]']);
  assert.ok(result.objects.some((o) => o.kind === 'RoleBinding'));
});

test('a field is reported at its place in the file', () => {
  const result = render(process('a', '{command: [x],\n  circuitBreaker: {maxFailures: 2}}'));
  assert.deepEqual(result.notRendered, [{ file: 'm.yaml', line: 5, col: 3, object: 'process/a', field: 'spec.circuitBreaker', why: 'Kubernetes has no circuit breaker: it keeps restarting with back-off' }]);
});

test("a pool's autoscale is an HPA on average values: cpu in cores, memory as a share of the limit", () => {
  const pool = (name: string, template: string, autoscale: string): string => `apiVersion: tend/v1\nkind: ProcessPool\nmetadata: {name: ${name}}\nspec: {template: ${template}, maxReplicas: 6, autoscale: ${autoscale}}\n---\n`;
  const result = render(
    pool('cpu', '{command: [w]}', '{metric: cpu, target: 75}') +
      pool('mem', '{command: [w], resources: {limits: {memory: 1Gi}}}', '{metric: memory, target: 50}') +
      pool('nolimit', '{command: [w]}', '{metric: memory}'),
  );
  const target = (name: string): unknown => {
    const hpa = result.objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === name);
    return (hpa?.spec as { metrics: { resource: unknown }[] }).metrics[0]?.resource;
  };
  assert.deepEqual(target('cpu'), { name: 'cpu', target: { type: 'AverageValue', averageValue: '750m' } });
  assert.deepEqual(target('mem'), { name: 'memory', target: { type: 'AverageValue', averageValue: String(512 * 1024 ** 2) } });
  assert.deepEqual(target('nolimit'), { name: 'cpu', target: { type: 'AverageValue', averageValue: '700m' } });
  assert.deepEqual(result.notRendered.map((n) => `${n.object} ${n.field}`), ['pool/nolimit spec.autoscale.metric']);
  assert.equal((result.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'cpu')?.spec as Record<string, unknown>).replicas, undefined);
});

test('$(VAR) and $$ are escaped so Kubernetes passes them as written', () => {
  assert.equal(escapeExpansion('echo $(date) $$ $HOME $'), 'echo $$(date) $$$ $HOME $');
  assert.equal(escapeExpansion('plain'), 'plain');
});
