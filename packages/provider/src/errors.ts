/**
 * What went wrong: `validation` (bad input), `conflict` (a username taken),
 * `not-found` (no user of that name), `unavailable` (the database failed),
 * `disabled` (users are managed elsewhere: `manage_users` is 0).
 */
export type ProviderErrorCode =
  | 'validation'
  | 'conflict'
  | 'not-found'
  | 'unavailable'
  | 'disabled';

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
