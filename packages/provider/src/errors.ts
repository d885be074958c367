/**
 * What went wrong: `validation` (bad input), `conflict` (a username taken),
 * `not-found` (no user of that name), `unavailable` (the database failed).
 */
export type ProviderErrorCode = 'validation' | 'conflict' | 'not-found' | 'unavailable';

/** An error of the data provider, with a message that can be shown to an administrator. */
export class ProviderError extends Error {
  override readonly name: string = 'ProviderError';
  readonly code: ProviderErrorCode;

  constructor(code: ProviderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** An input (a user, a quota change) that breaks the rules; `problems` names each one. */
export class ValidationError extends ProviderError {
  override readonly name = 'ValidationError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('validation', problems.join('; '));
    this.problems = problems;
  }
}
