/** Who depends on whom, as the manifests last said, kept for objects gone from them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDependencyLinks } from '../../src/controller/dependency-links.ts';
import type { ManifestObject } from '../../src/model/object.ts';
import { processObject } from '../planner/fixtures.ts';

const on = (name: string, ...targets: string[]): [string, ManifestObject] => [
  `process/${name}`,
  processObject(name, { dependsOn: targets.map((t) => ({ key: `process/${t}`, condition: 'started' as const })) }),
];

void describe('dependency links', () => {
  void it('indexes dependents and dependencies both ways', () => {
    const links = createDependencyLinks();
    links.update(new Map([on('web', 'db', 'cache'), on('worker', 'db'), on('db'), on('cache')]));
    assert.deepEqual([...links.dependentsOf('process/db')].sort(), ['process/web', 'process/worker']);
    assert.deepEqual(links.dependenciesOf('process/web'), ['process/db', 'process/cache']);
    assert.deepEqual([...links.dependentsOf('process/web')], []);
  });

  void it('keeps the links of an object gone from the manifests, and follows a changed dependsOn', () => {
    const links = createDependencyLinks();
    links.update(new Map([on('web', 'db'), on('db')]));
    links.update(new Map([on('db')]));
    assert.deepEqual([...links.dependentsOf('process/db')], ['process/web'], 'a pruned dependent still stops first');
    links.update(new Map([on('web', 'cache'), on('db'), on('cache')]));
    assert.deepEqual([...links.dependentsOf('process/db')], []);
    assert.deepEqual([...links.dependentsOf('process/cache')], ['process/web']);
  });
});
