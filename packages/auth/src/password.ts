import { hash, verify } from '@node-rs/argon2';

const ARGON2ID_PREFIX = '$argon2id$';
/** `Algorithm.Argon2id` of @node-rs/argon2, a const enum that isolated modules cannot import. */
const ARGON2ID = 2;

/**
 * Hashes a password for storage, with argon2id (the OWASP-recommended
 * parameters: 19 MiB of memory, 2 passes, 1 lane).
 *
 * @example
 * const stored = await hashPassword('correct horse'); // '$argon2id$v=19$m=19456,t=2,p=1$...'
 */
export function hashPassword(plain: string): Promise<string> {
  return hash(plain, {
    algorithm: ARGON2ID,
    memoryCost: 19456,
    timeCost: 2,
    parallelism: 1,
  });
}

/** Whether `value` is already a hash in a form {@link verifyPassword} understands. */
export function isHashedPassword(value: string): boolean {
  return value.startsWith(ARGON2ID_PREFIX);
}

/**
 * Checks `plain` against a stored hash. An empty password, an empty hash or a
 * hash in an unknown form never matches.
 */
export async function verifyPassword(plain: string, stored: string): Promise<boolean> {
  if (plain === '' || stored === '') return false;
  if (stored.startsWith(ARGON2ID_PREFIX)) {
    try {
      return await verify(stored, plain);
    } catch {
      return false; // a malformed stored hash
    }
  }
  return false;
}
