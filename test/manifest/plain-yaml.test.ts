/**
 * The plain reader (src/manifest/plain-yaml.ts) against the yaml library it stands in for: on
 * every text it reads, parseManifestText must give what the library gives (values, document
 * indexes, no diagnostics, and the position `locate` finds for every field and for missing ones);
 * on texts outside its subset it must give up. Checked on the example and fixture manifests, on
 * hand-picked edge cases, on generated documents in every style it reads, and on those texts
 * with random characters changed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseManifestText, parseWithLibrary, type ParsedFile } from '../../src/manifest/parse.ts';
import { readPlainYaml, resolvePlain } from '../../src/manifest/plain-yaml.ts';
import type { FieldPath } from '../../src/manifest/diagnostics.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

// Every path to a value in `value`, and one missing field under each map and list.
function pathsOf(value: unknown, prefix: FieldPath = []): FieldPath[] {
  const here: FieldPath[] = [prefix];
  if (Array.isArray(value)) return [...here, [...prefix, value.length], ...value.flatMap((v, i) => pathsOf(v, [...prefix, i]))];
  if (typeof value === 'object' && value !== null) return [...here, [...prefix, 'missing-field'], ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
  return here;
}

function view(file: ParsedFile): unknown {
  return {
    empty: file.empty,
    diagnostics: file.diagnostics,
    documents: file.documents.map((d) => ({ index: d.index, value: d.value, start: d.start, at: pathsOf(d.value).map((p) => [p.join('.'), d.locate(p)]) })),
  };
}

/** True when the plain reader took `text`; fails when it took it and differs from the library. */
function agrees(text: string): boolean {
  const plain = readPlainYaml(text);
  if (!plain) return false;
  assert.deepStrictEqual(view(parseManifestText(text, 'm.yaml')), view(parseWithLibrary(text, 'm.yaml')), `text:\n${text}`);
  return true;
}

void describe('plain YAML reader', () => {
  test('reads the example and fixture manifests as the library does', () => {
    const files = [...yamlFiles(join(ROOT, 'manifests')), ...yamlFiles(join(ROOT, 'test', 'fixtures'))];
    assert.ok(files.length > 5);
    const taken = files.filter((file) => agrees(readFileSync(file, 'utf8')));
    // Most manifests are plain; the reader must not give up on all of them.
    assert.ok(taken.length >= files.length / 2, `took ${taken.length} of ${files.length}`);
  });

  test('reads the usual shapes as the library does', () => {
    const texts = [
      'apiVersion: tend/v1\nkind: Process\nmetadata: {name: web}\nspec:\n  command: ["sleep", "3600"]\n  replicas: 2\n',
      '---\na: 1\n---\n# only a comment\n---\nb: [x, y]\n',
      'a:\n- 1\n- two\n-   three # note\nb: null\nc:\nd: ~\n',
      'list:\n  - name: a\n    value: "1"\n  - name: b\n    env: {X: "y", Z: 0x1F}\n',
      "k: 'single quoted'\nq: \"double: quoted\"\nurl: http://127.0.0.1:8080/healthz\n",
      'n: [-1, +2, 0o17, 1e3, .5, -.inf, .NaN, 1_000, -0, 007, 3.0]\nb: [true, False, TRUE, yes, no, on]\n',
      'deep:\n  a:\n    b:\n      c: [{d: [1, {e: f}]}]\n',
      '- a\n- b: c\n  d: e\n- [1, 2]\n',
      'scalar at root\n',
      'x: a#b\ny: {}\nz: []\n"quoted key": 1\n\'other key\': 2\n',
    ];
    for (const text of texts) assert.ok(agrees(text), `took:\n${text}`);
  });

  test('gives up on what it does not read', () => {
    const texts = [
      'a: &x 1\nb: *x\n',
      'a: !tag 1\n',
      'a: |\n  text\n',
      'a: >\n  text\n',
      'base: &b {x: 1}\nc:\n  <<: *b\n',
      'a: 1\na: 2\n',
      'a:\tb\n',
      'a: b\r\n',
      'a: "esc\\n"\n',
      "a: 'it''s'\n",
      'a: multi\n  line\n',
      '? complex\n: key\n',
      'a: [1,\n  2]\n',
      'a: b: c\n',
      '%YAML 1.2\n---\na: 1\n',
      'a: 1\n...\n',
      'a:\n-\n',
      '1: one\n',
      'a: [1, 2, ]\n',
      'a: {b}\n',
      'caf\u00e9: 1\n',
      '  a: 1\n b: 2\n',
      'q: "double: quoted # not a comment"\n',
    ];
    for (const text of texts) assert.equal(readPlainYaml(text), undefined, `gave up on:\n${text}`);
  });

  test('resolves plain scalars by the core schema as the library does', () => {
    for (const text of ['~', 'null', 'Null', 'NULL', '', 'true', 'True', 'TRUE', 'tRUE', 'false', '0o17', '0o8', '0x1F', '0xg', '12', '+12', '-12', '-0', '007', '1.5', '1.', '.5', '+.5', '1e3', '1E-3', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '1_000', '0b11', 'yes', '1:2', 'a b']) {
      const library = parseWithLibrary(`v: ${text === '' ? '' : text}\n`, 'm.yaml').documents[0]?.value as { v: unknown };
      assert.deepStrictEqual(resolvePlain(text), library.v, JSON.stringify(text));
    }
  });

  const scalar = fc.oneof(
    fc.constantFrom('web', 'sleep', '3600', '0', '-1', '1.5', 'true', 'null', '~', '0x10', '0o7', '1e3', '.nan', '-.inf', 'a b', 'a#b', 'a:b', 'http://h:1/p', "it's", '-x', 'x-', '{}', '[]', '', ' ', 'a: b', 'a #b', '- x', ':x', '#x', '@x', 'x"y', '"q"'),
    fc.integer({ min: -1000, max: 100000 }).map(String),
    fc.string({ maxLength: 8 }),
  );
  const key = fc.constantFrom('name', 'command', 'spec', 'a', 'b-c', 'x.y', 'k/v', 'true', '1', 'null', '__proto__', '<<', 'a b', '', 'env');
  type Tree = string | Tree[] | { [k: string]: Tree };
  const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(key, tie('node'), { maxKeys: 4 })),
  })).node;

  // Writes `value` as YAML in the style `pick` chooses at each node.
  function render(value: Tree, indent: number, pick: () => number): string {
    const pad = ' '.repeat(indent);
    const step = 2 + (pick() % 3);
    const inline = (v: Tree): string => {
      if (typeof v === 'string') return [v, JSON.stringify(v), `'${v}'`][pick() % 3] ?? v;
      if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
      return `{${Object.entries(v).map(([k, x]) => `${k}: ${inline(x)}`).join(', ')}}`;
    };
    if (typeof value === 'string' || pick() % 4 === 0) return `${pad}${inline(value)}${pick() % 5 === 0 ? ' # c' : ''}\n`;
    if (Array.isArray(value)) {
      return value.map((v) => (typeof v === 'string' || pick() % 2 === 0 ? `${pad}- ${inline(v)}\n` : `${pad}-\n${render(v, indent + step, pick)}`)).join('');
    }
    return Object.entries(value)
      .map(([k, v]) => (typeof v === 'string' || pick() % 2 === 0 ? `${pad}${k}: ${inline(v)}\n` : `${pad}${k}:\n${render(v, indent + step, pick)}`))
      .join('');
  }

  test('reads generated documents as the library does, or gives up', () => {
    let taken = 0;
    fc.assert(
      fc.property(fc.array(tree, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { minLength: 1, maxLength: 64 }), (docs, choices) => {
        let n = 0;
        const pick = (): number => choices[n++ % choices.length] ?? 0;
        const text = docs.map((d) => render(d, 0, pick)).join('---\n');
        if (agrees(text)) taken++;
      }),
      { numRuns: 1500 },
    );
    assert.ok(taken > 150, `took ${taken} of 1500 generated texts`);
  });

  test('reads changed texts as the library does, or gives up', () => {
    const base = readFileSync(join(ROOT, 'manifests', 'web.yaml'), 'utf8');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.constantFrom(' ', ':', '-', '#', '\n', '"', "'", '[', ']', '{', '}', ',', 'a', '1', '', '  ', '- ', ': ')), { minLength: 1, maxLength: 4 }), (edits) => {
        let text = base;
        for (const [at, insert] of edits) {
          const i = at % (text.length + 1);
          text = insert === '' ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + insert + text.slice(i);
        }
        agrees(text);
      }),
      { numRuns: 3000 },
    );
  });
});
