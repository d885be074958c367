/**
 * One form a password may be stored in: the prefixes that announce it and
 * how to check a password against it.
 */
export interface PasswordForm {
  /** The prefixes of the stored values in this form, such as `$6$`. */
  readonly prefixes: readonly string[];
  /**
   * Whether `plain` is the password `stored` was made from. Never throws and
   * never rejects: a malformed `stored` simply does not match.
   */
  verify(plain: string, stored: string): Promise<boolean>;
}
