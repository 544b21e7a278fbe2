/**
 * A Procfile (`name: command` per line, as foreman, honcho and Heroku read it) with its optional
 * `.env` to tend Processes. Each command runs through `/bin/sh -c` in the Procfile's folder, as
 * foreman does; `PORT` is set as foreman sets it (5000, 5100, ... one hundred apart per line);
 * the `.env` becomes `envFrom`, so its values stay secret and edits of it restart the programs.
 */
import { parseDotenv } from '../manifest/dotenv.ts';
import { manifestPath, objectName } from './names.ts';
import { Ledger } from './reader.ts';
import type { ImportContext, ImportedObject, ImportResult, SourceText } from './types.ts';

const FOREMAN_BASE_PORT = 5000;
const FOREMAN_PORT_STEP = 100;

/** Imports a Procfile and the `.env` its programs read (if any). */
export function importProcfile(procfile: SourceText, dotenv: SourceText | undefined, context: ImportContext): ImportResult {
  const ledger = new Ledger(procfile.file);
  const envFrom = dotenv ? dotenvSource(dotenv, context, ledger) : [];
  const objects: ImportedObject[] = [];
  procfile.text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([A-Za-z0-9_-]+):\s*(.*)$/.exec(line);
    if (!m || (m[2] ?? '') === '') {
      ledger.drop(index + 1, `line ${index + 1}`, 'not a `name: command` line; write it as `web: bundle exec puma`');
      return;
    }
    ledger.map(`line ${index + 1}`);
    objects.push(processOf(m[1] ?? '', m[2] ?? '', { line: index + 1, ordinal: objects.length, procfile, envFrom, context }));
  });
  return { objects, drops: ledger.drops, mapped: ledger.mapped };
}

interface LineContext {
  readonly line: number;
  readonly ordinal: number;
  readonly procfile: SourceText;
  readonly envFrom: readonly { file: string }[];
  readonly context: ImportContext;
}

function processOf(name: string, command: string, at: LineContext): ImportedObject {
  const port = FOREMAN_BASE_PORT + FOREMAN_PORT_STEP * at.ordinal;
  const spec: Record<string, unknown> = {
    command,
    shell: true,
    workingDir: manifestPath(at.context, at.procfile.dir, '.'),
    env: { PORT: String(port) },
  };
  if (at.envFrom.length > 0) spec.envFrom = at.envFrom;
  spec.restartPolicy = 'Always';
  const notes = [`PORT=${port} as foreman sets it; foreman stops every program when one exits, tend restarts the one that exited.`];
  return { name: objectName(name), labels: {}, spec, notes, source: { file: at.procfile.file, line: at.line, what: name } };
}

// The `.env` as `envFrom`; its bad lines are reported (tend would refuse the file), its entries counted as mapped.
function dotenvSource(dotenv: SourceText, context: ImportContext, procfileLedger: Ledger): { file: string }[] {
  const parsed = parseDotenv(dotenv.text);
  if (!parsed.ok) {
    procfileLedger.drops.push({ file: dotenv.file, line: parsed.line, field: `line ${parsed.line}`, why: `${parsed.message}; tend cannot read this .env, fix the line` });
    return [];
  }
  parsed.entries.forEach(([name]) => procfileLedger.map(`${dotenv.file}:${name}`));
  return [{ file: manifestPath(context, dotenv.dir, dotenv.file.split('/').pop() ?? '.env') }];
}
