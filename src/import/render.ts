/**
 * Imported objects as manifest text: one YAML document per object, opened by comments naming
 * the source file and line and any note on how a field was mapped. The same input always gives
 * the same bytes (keys in a fixed order, no timestamps).
 */
import { Document, isScalar, visit } from 'yaml';
import type { ImportedObject } from './types.ts';

/** One object as a YAML document (with its comment header and a trailing newline). */
export function renderObject(object: ImportedObject, format: string): string {
  const metadata: Record<string, unknown> = { name: object.name };
  if (Object.keys(object.labels).length > 0) metadata.labels = object.labels;
  const doc = new Document({ apiVersion: 'tend/v1', kind: 'Process', metadata, spec: object.spec });
  visit(doc, {
    Seq(_, seq) {
      if (seq.items.every((item) => isScalar(item)) && seq.items.length <= 8) seq.flow = true;
    },
  });
  const header = [`# Imported by \`tend import ${format}\` from ${object.source.file}:${object.source.line} (${object.source.what}).`, ...object.notes.map((n) => `# ${n}`)];
  return `${header.join('\n')}\n${doc.toString({ lineWidth: 0, flowCollectionPadding: false })}`;
}

/** Several objects as one multi-document stream. */
export function renderStream(objects: readonly ImportedObject[], format: string): string {
  return objects.map((o) => renderObject(o, format)).join('---\n');
}
