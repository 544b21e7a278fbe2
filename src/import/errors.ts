/**
 * A source that cannot be imported at all (it does not parse, or it is not the format named):
 * the CLI prints it as `file:line:col: message` and exits 2.
 */
import { TendError } from '../model/errors.ts';

/** A source file that cannot be read as its format, with the place and the fix. */
export class ImportError extends TendError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly detail: string,
  ) {
    super('ImportInvalid', `${file}:${line}:${col}: ${detail}`);
  }
}
