import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveObject } from '../../src/cli/resolve-target.ts';

const keys = ['process/web', 'process/db', 'job/migrate', 'job/web', 'pool/render'];

void describe('resolveObject', () => {
  void it('takes KIND/NAME in any kind spelling', () => {
    assert.deepEqual(resolveObject('process/db', keys), { ok: true, key: 'process/db' });
    assert.deepEqual(resolveObject('procs/db', keys), { ok: true, key: 'process/db' });
    assert.deepEqual(resolveObject('ProcessPool/render', keys), { ok: true, key: 'pool/render' });
  });

  void it('takes a bare name that one object has', () => {
    assert.deepEqual(resolveObject('migrate', keys), { ok: true, key: 'job/migrate' });
    assert.deepEqual(resolveObject('render', keys), { ok: true, key: 'pool/render' });
  });

  void it('asks which when a bare name is ambiguous', () => {
    const r = resolveObject('web', keys);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /"web" names process\/web and job\/web; say which/);
  });

  void it('suggests the nearest name for an unknown object', () => {
    assert.deepEqual(resolveObject('process/dbb', keys), { ok: false, message: 'unknown object process/dbb (did you mean "process/db"?)' });
    assert.deepEqual(resolveObject('rendr', keys), { ok: false, message: 'unknown object rendr (did you mean "render"?)' });
    assert.deepEqual(resolveObject('process/nosuch', keys), { ok: false, message: 'unknown object process/nosuch' });
  });

  void it('points at the same name in another kind', () => {
    assert.deepEqual(resolveObject('process/migrate', keys), { ok: false, message: 'unknown object process/migrate; there is job/migrate' });
  });
});
