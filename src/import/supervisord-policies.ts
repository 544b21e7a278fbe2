/**
 * How a supervisord program restarts, stops and rotates its logs, in tend's terms:
 * `autorestart`/`exitcodes`, `startsecs`/`startretries`, `stopsignal`/`stopwaitsecs`,
 * `stopasgroup`/`killasgroup`, and the `*_logfile_maxbytes`/`_backups` pairs.
 */
import type { FieldReader } from './reader.ts';
import { binaryQuantity, durationOf, signalName } from './units.ts';

type Spec = Record<string, unknown>;

/** The line of `key` in the section (the header when absent). */
export function lineOf(r: FieldReader, key: string): number {
  return r.node.entries.find((e) => e.key === key)?.line ?? r.node.line;
}

// `autorestart` and `exitcodes`, with `startsecs`/`startretries` as maxRestarts reset by a run of startsecs.
/** The restart policy, backoff and maxRestarts of a program. */
export function restartOf(r: FieldReader): Spec {
  const auto = (r.str('autorestart') ?? 'unexpected').toLowerCase();
  const codesText = r.str('exitcodes') ?? '0';
  const codes = codesText.split(',').map((c) => Number(c.trim()));
  const startsecs = r.num('startsecs') ?? 1;
  const retries = r.num('startretries') ?? 3;
  let restartPolicy = auto === 'false' ? 'Never' : auto === 'true' ? 'Always' : 'OnFailure';
  if (auto === 'unexpected' && !(codes.length === 1 && codes[0] === 0)) {
    const line = lineOf(r, 'exitcodes');
    if (codes.includes(0)) r.ledger.drop(line, r.field('exitcodes'), `tend's OnFailure restarts on every non-zero exit; exit ${codes.filter((c) => c !== 0).join(', ')} will be restarted too`);
    else {
      restartPolicy = 'Always';
      r.ledger.drop(line, r.field('exitcodes'), 'exit 0 is unexpected here, so it restarts (Always); tend cannot leave other codes unrestarted');
    }
  } else if (auto !== 'unexpected' && r.has('exitcodes')) {
    r.ledger.drop(lineOf(r, 'exitcodes'), r.field('exitcodes'), `exitcodes only matter with autorestart=unexpected (here ${auto})`);
  }
  const backoff = { strategy: 'linear', initialDelay: '1s', jitter: 0, resetAfter: durationOf(startsecs * 1000) };
  return { restartPolicy, backoff, ...(retries > 0 ? { maxRestarts: retries } : {}) };
}

/** The stop signal and grace period of a program. */
export function stopOf(r: FieldReader): Spec {
  const stop: Spec = {};
  const signal = r.str('stopsignal');
  if (signal !== undefined) {
    const name = signalName(signal);
    if (name) stop.signal = name;
    else r.ledger.drop(lineOf(r, 'stopsignal'), r.field('stopsignal'), `tend stops with SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH or SIGKILL (got "${signal}")`);
  }
  stop.gracePeriod = durationOf((r.num('stopwaitsecs') ?? 10) * 1000);
  for (const key of ['stopasgroup', 'killasgroup']) {
    if (r.has(key) && r.bool(key) === false) r.ledger.drop(lineOf(r, key), r.field(key), 'tend always signals the whole process group of an instance');
  }
  return { stop };
}

// One size and count for both streams; supervisord's defaults are 50MB and 10 backups.
/** Log rotation of a program (one setting for both streams). */
export function logsOf(r: FieldReader): Spec {
  const out = { size: r.str('stdout_logfile_maxbytes'), files: r.num('stdout_logfile_backups') };
  const err = { size: r.str('stderr_logfile_maxbytes'), files: r.num('stderr_logfile_backups') };
  const size = out.size ?? err.size;
  const files = out.files ?? err.files;
  if (err.size !== undefined && out.size !== undefined && err.size !== out.size) r.ledger.drop(lineOf(r, 'stderr_logfile_maxbytes'), r.field('stderr_logfile_maxbytes'), 'tend rotates both streams at one size (stdout\'s is kept)');
  if (err.files !== undefined && out.files !== undefined && err.files !== out.files) r.ledger.drop(lineOf(r, 'stderr_logfile_backups'), r.field('stderr_logfile_backups'), 'tend keeps one number of files for both streams (stdout\'s is kept)');
  const logs: Spec = {};
  const quantity = size !== undefined ? binaryQuantity(size) : undefined;
  if (size !== undefined && (quantity === undefined || quantity === '0')) r.ledger.drop(lineOf(r, 'stdout_logfile_maxbytes'), r.field('stdout_logfile_maxbytes'), `"${size}": tend always rotates; give a size like 50MB`);
  else if (quantity !== undefined) logs.maxSize = quantity;
  if (files !== undefined && files < 1) r.ledger.drop(lineOf(r, 'stdout_logfile_backups'), r.field('stdout_logfile_backups'), 'tend keeps at least one rotated file');
  else if (files !== undefined) logs.maxFiles = files;
  return Object.keys(logs).length > 0 ? { logs } : {};
}
