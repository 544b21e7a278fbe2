/** Bugs and broken invariants throw a TendError; OS and manifest problems are values. */
export class TendError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TendError';
    this.code = code;
  }
}
