/** supervisord.conf: restart semantics, priorities, expansions, includes, and accounting for every field. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIni } from '../../src/import/ini.ts';
import { importSupervisord, supervisordIncludes } from '../../src/import/supervisord.ts';
import { assertAccounted, assertValid, CONTEXT, fixture, inline, specOf } from './helpers.ts';

const iniFields = (text: string): string[] => parseIni(text).sections.flatMap((s) => s.entries.map((e) => `[${s.name}].${e.key}`));

test('every key of supervisord.conf and its include is mapped or reported, and the output validates', () => {
  const main = fixture('supervisord', 'supervisord.conf');
  assert.deepEqual(supervisordIncludes(main), ['conf.d/*.conf']);
  const included = fixture('supervisord', 'conf.d/jobs.conf');
  const result = importSupervisord([main, included], CONTEXT);
  assertAccounted(result, 'supervisord.conf', iniFields(main.text));
  assertAccounted(result, 'conf.d/jobs.conf', iniFields(included.text));
  assertValid(result, 'supervisord');
});

test('autorestart and exitcodes become the matching restart policy, and what tend cannot tell apart is reported', () => {
  const text = `[program:a]
command=a
[program:b]
command=b
exitcodes=0,2
[program:c]
command=c
exitcodes=1
[program:d]
command=d
autorestart=true
[program:e]
command=e
autorestart=false
`;
  const result = importSupervisord([inline('s.conf', text)], CONTEXT);
  assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((n) => specOf(result, n).restartPolicy), ['OnFailure', 'OnFailure', 'Always', 'Always', 'Never']);
  assert.deepEqual(result.drops.map((d) => `${d.line} ${d.field}`), ['5 [program:b].exitcodes', '8 [program:c].exitcodes']);
});

test('startsecs and startretries: linear 1s backoff, maxRestarts reset by a run of startsecs', () => {
  const result = importSupervisord([inline('s.conf', '[program:a]\ncommand=a\nstartsecs=10\nstartretries=5\n')], CONTEXT);
  assert.deepEqual(specOf(result, 'a').backoff, { strategy: 'linear', initialDelay: '1s', jitter: 0, resetAfter: '10s' });
  assert.equal(specOf(result, 'a').maxRestarts, 5);
});

test('priority orders starts through dependsOn on the next lower priority that runs', () => {
  const text = '[program:a]\ncommand=a\npriority=1\n[program:b]\ncommand=b\npriority=1\n[program:c]\ncommand=c\npriority=5\nautostart=false\n[program:d]\ncommand=d\n';
  const result = importSupervisord([inline('s.conf', text)], CONTEXT);
  assert.equal(specOf(result, 'a').dependsOn, undefined);
  assert.deepEqual(specOf(result, 'c').dependsOn, [{ name: 'a', condition: 'started' }, { name: 'b', condition: 'started' }]);
  assert.deepEqual(specOf(result, 'd').dependsOn, [{ name: 'a', condition: 'started' }, { name: 'b', condition: 'started' }]);
  assert.equal(specOf(result, 'c').replicas, 0);
});

test('expansions and environment lists are read as supervisord reads them', () => {
  const text = '[program:web]\ncommand=%(here)s/bin/web --name %(program_name)s --n %(process_num)02d\nenvironment=A="x, y",B=2,C=\'q\',D="%(ENV_HOME)s"\n';
  const result = importSupervisord([inline('s.conf', text)], { ...CONTEXT, env: { HOME: '/home/u' } });
  assert.deepEqual(specOf(result, 'web').command, ['/srv/app/bin/web', '--name', 'web', '--n', '00']);
  assert.deepEqual(specOf(result, 'web').env, { A: 'x, y', B: '2', C: 'q', D: '/home/u' });
});
