import { ARGON2ID_DECOY, argon2idForm, hashArgon2id } from './argon2id.js';
import { bcryptForm } from './bcrypt.js';
import { md5CryptForm } from './md5-crypt.js';
import type { PasswordForm } from './password-form.js';
import { pbkdf2Form } from './pbkdf2.js';
import { sha512CryptForm } from './sha512-crypt.js';

/** Every stored form {@link verifyPassword} understands. */
const FORMS: readonly PasswordForm[] = [
  argon2idForm,
  bcryptForm,
  pbkdf2Form,
  md5CryptForm,
  sha512CryptForm,
];

function formOf(stored: string): PasswordForm | undefined {
  return FORMS.find((form) => form.prefixes.some((prefix) => stored.startsWith(prefix)));
}

/**
 * Hashes a password for storage, with argon2id (the OWASP-recommended
 * parameters: 19 MiB of memory, 2 passes, 1 lane).
 *
 * @example
 * const stored = await hashPassword('correct horse'); // '$argon2id$v=19$m=19456,t=2,p=1$...'
 */
export function hashPassword(plain: string): Promise<string> {
  return hashArgon2id(plain);
}

/**
 * Whether `value` starts like a hash {@link verifyPassword} understands:
 * `$argon2id$`, `$2a$`, `$2b$`, `$2y$`, `$pbkdf2-sha1$`, `$pbkdf2-sha256$`,
 * `$pbkdf2-sha512$`, `$1$`, `$apr1$` or `$6$`. Such a value is stored as is;
 * only the prefix is looked at, as SFTPGo does.
 *
 * @example
 * isHashedPassword('$6$saltstring$svn8…'); // true
 * isHashedPassword('change-me'); // false
 */
export function isHashedPassword(value: string): boolean {
  return formOf(value) !== undefined;
}

/**
 * Why `value`, which starts like a hash (see {@link isHashedPassword}), can
 * never be checked: it does not parse as the form its prefix names, or asks
 * for more work than a login can afford. Undefined for a hash that
 * {@link verifyPassword} computes, and for a value that is not hashed.
 *
 * @example
 * hashedPasswordProblem('$2a$10$invalidhash');
 * // 'starts with $2a$, the prefix of bcrypt hashes, but is not a valid bcrypt hash'
 * hashedPasswordProblem('change-me'); // undefined
 */
export function hashedPasswordProblem(value: string): string | undefined {
  const form = formOf(value);
  const problem = form?.problem(value);
  if (!form || problem === undefined) return undefined;
  const prefix = form.prefixes.find((p) => value.startsWith(p)) ?? '';
  return `starts with ${prefix}, the prefix of ${form.name} hashes, but ${problem}`;
}

/**
 * Checks `plain` against a stored hash in any of the forms of
 * {@link isHashedPassword}, comparing in constant time. An empty password, an
 * empty hash, a hash in an unknown form or a malformed one never matches, and
 * a hash asking for an unreasonable cost (iterations, rounds, memory) is
 * refused without being computed. Never rejects.
 *
 * @example
 * await verifyPassword('password', '$pbkdf2-sha256$150000$E86a9YMX3zC7$R5J62hsSq+pYw00hLLPKBbcGXmq7fj5+/M0IFoYtZbo='); // true
 */
export async function verifyPassword(plain: string, stored: string): Promise<boolean> {
  if (plain === '' || stored === '') return false;
  const form = formOf(stored);
  if (!form) return false;
  try {
    return await form.verify(plain, stored);
  } catch {
    return false; // each form catches its own errors; this is the last line
  }
}

/**
 * Checks a password given at login against the account's stored hash, at
 * the same cost whatever the account: when there is no account, no stored
 * password (a key-only account), or a stored value that can never match (it
 * does not parse, asks for an unaffordable cost, or `plain` is longer than
 * its form checks), `plain` is verified against a hash of the server's own
 * form and parameters instead, and the answer is false. Answer times then
 * tell neither which usernames exist nor how their passwords are stored. An
 * empty password is refused at once, for every account alike.
 *
 * @example
 * const user = await provider.getUserByUsername(name);
 * const ok = await verifyLoginPassword(given, user?.password); // false for an unknown user
 */
export async function verifyLoginPassword(
  plain: string,
  stored: string | undefined,
): Promise<boolean> {
  if (plain === '') return false;
  const form = stored ? formOf(stored) : undefined;
  const usable =
    stored !== undefined &&
    form !== undefined &&
    form.problem(stored) === undefined &&
    Buffer.byteLength(plain) <= (form.maxPasswordBytes ?? Number.POSITIVE_INFINITY);
  if (!usable) {
    await argon2idForm.verify(plain, ARGON2ID_DECOY);
    return false;
  }
  return verifyPassword(plain, stored);
}
