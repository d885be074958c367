/**
 * One form a password may be stored in: the prefixes that announce it and
 * how to check a password against it.
 */
export interface PasswordForm {
  /** The form's name, for messages: `bcrypt`, `sha512crypt`. */
  readonly name: string;
  /** The prefixes of the stored values in this form, such as `$6$`. */
  readonly prefixes: readonly string[];
  /**
   * The longest password, in UTF-8 bytes, that the form checks; a longer one
   * never matches and is refused without computing anything. None when absent.
   */
  readonly maxPasswordBytes?: number;
  /**
   * Why `stored`, a value with one of the form's prefixes, cannot be checked:
   * it does not parse, or it asks for more work than a login can afford.
   * Undefined when {@link verify} computes it.
   */
  problem(stored: string): string | undefined;
  /**
   * Whether `plain` is the password `stored` was made from. Never throws and
   * never rejects: a malformed `stored` simply does not match.
   */
  verify(plain: string, stored: string): Promise<boolean>;
}
