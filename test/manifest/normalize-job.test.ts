/** Job normalisation: the schema's defaults, preemptible by priority, requests in canonical units, cron errors. */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { JOB_DEFAULTS } from '../../src/manifest/normalize-job.ts';
import type { JobSpec } from '../../src/model/job.ts';
import { check, lines } from './fixtures.ts';

const jobDoc = (...spec: string[]): string => ['apiVersion: tend/v1', 'kind: Job', 'metadata: {name: report}', 'spec:', '  command: ["./report.sh"]', ...spec.map((l) => `  ${l}`), ''].join('\n');
const specOf = (text: string): JobSpec => check(text).objects[0]?.spec as JobSpec;

void describe('normalizing Jobs', () => {
  void it('fills in the schema\'s defaults', () => {
    const schema = createRequire(import.meta.url)('../../schemas/job.schema.json') as { properties: Record<string, { default?: unknown }> };
    const spec = specOf(jobDoc());
    assert.deepEqual(
      [spec.completions, spec.parallelism, spec.backoffLimit, spec.preemption, spec.concurrencyPolicy],
      [schema.properties.completions?.default, schema.properties.parallelism?.default, schema.properties.backoffLimit?.default, schema.properties.preemption?.default, schema.properties.concurrencyPolicy?.default],
    );
    assert.deepEqual([spec.activeDeadlineMs, spec.ttlAfterFinishedMs, spec.replicas, spec.restartPolicy], [JOB_DEFAULTS.activeDeadlineMs, JOB_DEFAULTS.ttlAfterFinishedMs, 1, 'OnFailure']);
    assert.deepEqual([spec.backoff.strategy, spec.backoff.initialDelayMs, spec.backoff.maxDelayMs], ['exponential', 1000, 60_000]);
  });

  void it('is preemptible below priority high unless it says otherwise', () => {
    assert.equal(specOf(jobDoc('priority: normal')).preemptible, true);
    assert.equal(specOf(jobDoc('priority: high')).preemptible, false);
    assert.equal(specOf(jobDoc('priority: critical', 'preemptible: true')).preemptible, true);
  });

  void it('takes durations, requests and completions', () => {
    const spec = specOf(jobDoc('completions: 3', 'activeDeadline: 1h30m', 'ttlAfterFinished: 10m', 'resources: {requests: {cpu: 250m, memory: 1Gi, licenses: 2}}'));
    assert.deepEqual([spec.completions, spec.replicas, spec.activeDeadlineMs, spec.ttlAfterFinishedMs, spec.requests], [3, 3, 5_400_000, 600_000, { cpu: 0.25, memory: 1024 ** 3, licenses: 2 }]);
  });

  void it('a changed field is a new run (another spec hash); a label is not', () => {
    const hash = (text: string) => check(text).objects[0]?.specHash;
    assert.notEqual(hash(jobDoc('backoffLimit: 1')), hash(jobDoc('backoffLimit: 2')));
    assert.equal(hash(jobDoc()), hash(jobDoc().replace('metadata: {name: report}', 'metadata: {name: report, labels: {a: b}}')));
  });

  void it('an image (used only by tend render kubernetes) starts no new run', () => {
    const hash = (text: string) => check(text).objects[0]?.specHash;
    assert.equal(hash(jobDoc('image: registry.example/report:2')), hash(jobDoc()));
  });

  void it('reports a cron expression that does not parse, at its field', () => {
    const result = check(jobDoc('schedule: "0 24 * * *"'));
    assert.equal(result.ok, false);
    assert.match(lines(result).join('\n'), /spec\.schedule: .*hour.*24/);
  });
});
