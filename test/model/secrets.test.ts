import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactSecrets, SECRET_IN_MESSAGE, withheldNames, withholdSecrets, withholdSecretsOfEach, WITHHELD_SECRET } from '../../src/model/secrets.ts';

void describe('redactSecrets', () => {
  const program = { env: { TOKEN: 'hunter2', SHORT: 'ab', PLAIN: 'visible' }, secretEnv: ['SHORT', 'TOKEN'] };
  void it('replaces every secret value and keeps the rest', () => {
    assert.equal(redactSecrets('failed with hunter2 and ab, visible', program), `failed with ${SECRET_IN_MESSAGE} and ${SECRET_IN_MESSAGE}, visible`);
  });
  void it("cuts Node's echo of an invalid argument, whatever its escaping", () => {
    const node = "The argument 'options.env['TOKEN']' must be a string without null bytes. Received 'hun\\x00ter2'";
    assert.equal(redactSecrets(node, program), "The argument 'options.env['TOKEN']' must be a string without null bytes");
  });
});

void describe('withholdSecrets', () => {
  const object = {
    kind: 'Process',
    spec: {
      env: { TOKEN: 'hunter2', PLAIN: 'x', FROM_FILE: 'filevalue' },
      secretEnv: ['FROM_FILE', 'TOKEN'],
      raw: { env: { TOKEN: { value: 'hunter2', secret: true }, PLAIN: 'x' }, envFrom: [{ file: '.env' }] },
      recovery: { fallback: { env: { TOKEN: 'hunter2' }, secretEnv: ['TOKEN'] } },
    },
    specHash: 'abc',
  };
  void it('leaves no secret value anywhere and keeps everything else', () => {
    const kept = withholdSecrets([object]);
    const text = JSON.stringify(kept);
    assert.ok(!text.includes('hunter2') && !text.includes('filevalue'), text);
    assert.equal(kept[0]?.spec.env.PLAIN, 'x');
    assert.equal(kept[0]?.specHash, 'abc');
    assert.deepEqual(withheldNames(kept[0]?.spec.env ?? {}), ['TOKEN', 'FROM_FILE']);
    assert.deepEqual(kept[0]?.spec.raw.env.TOKEN, { value: WITHHELD_SECRET, secret: true });
    assert.equal(object.spec.env.TOKEN, 'hunter2', 'the original is not changed');
  });
  void it('copies only the way to a secret: what holds none is shared, an object without any is itself', () => {
    const kept = withholdSecrets(object);
    assert.notEqual(kept.spec, object.spec);
    assert.equal(kept.spec.raw.envFrom, object.spec.raw.envFrom, 'no secret in it: the same array');
    const plain = { kind: 'Process', spec: { env: { PLAIN: 'x' }, secretEnv: [] as string[], args: ['a'] } };
    assert.equal(withholdSecrets(plain), plain);
  });
});

void describe('withholdSecretsOfEach', () => {
  void it('withholds as withholdSecrets does, and hands out one copy per object', () => {
    const object = { kind: 'Process', spec: { env: { TOKEN: 'hunter2', PLAIN: 'x' }, secretEnv: ['TOKEN'] } };
    const other = { kind: 'Process', spec: { env: { PLAIN: 'y' }, secretEnv: [] } };
    const [first] = withholdSecretsOfEach([object, other]);
    assert.deepEqual(first, withholdSecrets(object));
    assert.equal(first?.spec.env.TOKEN, WITHHELD_SECRET);
    assert.equal(object.spec.env.TOKEN, 'hunter2', 'the object itself keeps its value');
    assert.equal(withholdSecretsOfEach([object])[0], first, 'the same object: the same copy, made once');
    assert.notEqual(withholdSecretsOfEach([{ ...object }])[0], first, 'a replaced object: a copy of its own');
  });
});
