import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { locate, parseManifestText } from '../../src/manifest/parse.ts';

const syntax = (text: string): string[] =>
  parseManifestText(text, 'manifests/web.yaml').diagnostics.map((d) => `${d.code} ${d.line}:${d.col} ${d.message}`);

void describe('parseManifestText', () => {
  void it('reports YAML syntax errors at their exact line and column', () => {
    const cases: [string, string[]][] = [
      ['a: 1\na: 2\n', ['YamlSyntax 2:1 invalid YAML: Map keys must be unique ("a" is repeated)']],
      ['a: [1, 2\nb: 3\n', ['YamlSyntax 2:1 invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']],
      ['spec:\n  command: "node\n', ['YamlSyntax 3:1 invalid YAML: Missing closing "quote']],
      ['spec:\n\tcommand: x\n', ['YamlSyntax 2:1 invalid YAML: Tabs are not allowed as indentation']],
    ];
    for (const [text, expected] of cases) assert.deepEqual(syntax(text), expected, JSON.stringify(text));
  });

  void it('refuses custom tags', () => {
    assert.deepEqual(syntax('spec:\n  command: !shell rm -rf\n'), ['YamlSyntax 2:12 invalid YAML: Unresolved tag: !shell; custom tags are not allowed']);
  });

  void it('bounds alias expansion (billion laughs)', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const [message] = syntax(`${levels.join('\n')}\n`);
    assert.match(message ?? '', /^YamlSyntax 1:1 invalid YAML: cannot expand the document: .*alias/i);
  });

  void it('keeps the good documents of a multi-document file', () => {
    const parsed = parseManifestText('a: 1\n---\nb: [\n---\n# comment only\n---\nc: 3\n', 'f.yaml');
    assert.deepEqual(parsed.documents.map((d) => [d.index, d.value, d.start]), [
      [0, { a: 1 }, { line: 1, col: 1 }],
      [3, { c: 3 }, { line: 7, col: 1 }],
    ]);
    assert.equal(parsed.diagnostics.length, 1);
    assert.equal(parsed.empty, false);
  });

  void it('strips a byte order mark and calls a comment-only file empty', () => {
    assert.deepEqual(parseManifestText('\uFEFFa: 1\n', 'f.yaml').documents[0]?.value, { a: 1 });
    assert.equal(parseManifestText('# todo\n', 'f.yaml').empty, true);
    assert.equal(parseManifestText('', 'f.yaml').empty, true);
  });

  void it('merges `<<` keys', () => {
    const parsed = parseManifestText('base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\n', 'f.yaml');
    assert.deepEqual(parsed.documents[0]?.value, { base: { x: 1 }, use: { x: 1, y: 2 } });
  });
});

void describe('locate', () => {
  const [doc] = parseManifestText('spec:\n  command: [node, x]\n  env: &e\n    A: 1\n  other: *e\n  m:\n    <<: *e\n', 'f.yaml').documents;
  const at = (...path: (string | number)[]): string => {
    assert.ok(doc);
    const { line, col } = locate(doc, path);
    return `${line}:${col}`;
  };

  void it('finds keys, list items, aliases and merged keys', () => {
    assert.equal(at('spec'), '1:1');
    assert.equal(at('spec', 'command'), '2:3');
    assert.equal(at('spec', 'command', 1), '2:19');
    assert.equal(at('spec', 'other', 'A'), '4:5');
    assert.equal(at('spec', 'm', 'A'), '4:5');
  });

  void it('falls back to the nearest existing field', () => {
    assert.equal(at('spec', 'missing', 'deeper'), '1:1');
    assert.equal(at('spec', 'command', 9), '2:3');
  });
});
