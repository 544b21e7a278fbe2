/**
 * `--help` is printed from the same table the parser reads: every option the parser accepts for
 * a command appears in its help with its short form and default, and each command has two
 * examples of itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs } from 'node:util';
import { COMMANDS, commandHelp, globalFlagsOf, overviewHelp, parserOptions } from '../../src/cli/command-table.ts';

void describe('the command table', () => {
  for (const [name, spec] of Object.entries(COMMANDS)) {
    void it(`tend ${name} --help lists every option the parser takes, with its default`, () => {
      const help = commandHelp(name, spec);
      const options = parserOptions(spec);
      for (const [option, config] of Object.entries(options)) {
        const left = `${config.short ? `-${config.short}, ` : '    '}--${option}`;
        assert.ok(help.includes(left), `${name}: help shows ${left}`);
      }
      for (const flag of [...spec.flags, ...globalFlagsOf(spec)]) {
        if (flag.default !== undefined) assert.ok(help.includes(`(default: ${flag.default})`), `${name} --${flag.name} default`);
      }
      const flagLines = help.split('\n').filter((l) => /^\s+(-\w, )?\s*--[a-z]/.test(l));
      assert.equal(flagLines.length, Object.keys(options).length, `${name}: one help line per option`);
    });

    void it(`tend ${name} has two examples of itself, and they parse`, () => {
      assert.equal(spec.examples.length, 2);
      for (const example of spec.examples) {
        assert.match(example, new RegExp(`tend ${name}\\b`));
        const args = example.slice(example.indexOf(`tend ${name}`) + `tend ${name}`.length).split(' ').filter((a) => a.startsWith('-'));
        assert.doesNotThrow(() => parseArgs({ args, options: parserOptions(spec), allowPositionals: true, strict: false }));
        for (const arg of args) {
          const long = /^--([a-z-]+)/.exec(arg)?.[1];
          if (long) assert.ok(long in parserOptions(spec), `${example}: --${long} is an option of ${name}`);
        }
      }
    });
  }

  for (const [name, spec] of Object.entries(COMMANDS).filter(([, s]) => s.outputIsFolder)) {
    void it(`tend ${name} --help shows -o as the folder it writes to, never as a format`, () => {
      const help = commandHelp(name, spec);
      assert.match(help, /^ {2}-o, --output DIR +folder to write one file per object into/m);
      assert.doesNotMatch(help, /FORMAT|table, json or yaml/);
    });
  }

  void it('a command that prints keeps -o FORMAT', () => {
    const get = COMMANDS.get;
    assert.ok(get);
    assert.match(commandHelp('get', get), /^ {2}-o, --output FORMAT +table, json or yaml/m);
  });

  void it('the overview names every command', () => {
    const help = overviewHelp();
    for (const name of Object.keys(COMMANDS)) assert.match(help, new RegExp(`^  ${name} `, 'm'));
    assert.match(help, /-v, --version/);
  });
});
