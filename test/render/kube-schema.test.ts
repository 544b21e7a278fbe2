/** The schema check of the render tests itself: it must refuse wrong types and unknown fields, and pass a sound object. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubernetesSchemaErrors } from '../helpers/kube-schema.ts';

const deployment = (container: Record<string, unknown>, meta: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { 'tend.dev/name': 'web' }, ...meta },
  spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'web', image: 'i', ...container }] } } },
});

test('a sound Deployment passes', () => {
  assert.deepEqual(kubernetesSchemaErrors(deployment({ env: [{ name: 'A', value: '1' }], resources: { requests: { cpu: '500m' } } })), []);
});

test('unknown fields are refused wherever they are', () => {
  assert.deepEqual(kubernetesSchemaErrors(deployment({ restartPolicyy: 'Always' }, { owner: 'me' })), ['/metadata/owner: unknown field', '/spec/template/spec/containers/0/restartPolicyy: unknown field']);
});

test('wrong types and missing fields are refused', () => {
  assert.deepEqual(kubernetesSchemaErrors(deployment({ ports: [{ containerPort: '80' }] })), ['/spec/template/spec/containers/0/ports/0/containerPort: must be integer']);
  assert.deepEqual(kubernetesSchemaErrors({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 1 } }), ['/stringData/k: must be string']);
  assert.deepEqual(kubernetesSchemaErrors({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }), ['no schema for v1 Pod']);
});
