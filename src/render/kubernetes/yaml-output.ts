/**
 * Rendered objects as YAML text: sorted keys, no line folding, one document per object, so the
 * same objects always give the same bytes. Pure.
 */
import { stringify } from 'yaml';
import type { KubeObject } from './model.ts';
import { kindRank } from './render.ts';

/** One object as a YAML document (without the `---` separator). */
export function objectYaml(object: KubeObject): string {
  return stringify(object, { sortMapEntries: true, lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
}

/** All objects as one multi-document stream, each document opened by `---`. */
export function yamlStream(objects: readonly KubeObject[]): string {
  return objects.map((o) => `---\n${objectYaml(o)}`).join('');
}

/**
 * The file name of an object in an output folder: its kind's place in apply order, kind and
 * name, e.g. `07-deployment-web.yaml`, so `kubectl apply -f DIR` applies in order and a name
 * never depends on the other objects.
 */
export function objectFileName(object: KubeObject): string {
  return `${String(kindRank(object.kind)).padStart(2, '0')}-${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
}
