import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { equalsInConstantTime } from './constant-time.js';
import type { PasswordForm } from './password-form.js';

/**
 * The most iterations accepted, times the blocks of the key (one when the key
 * is no longer than the digest): about 3.5 s of PBKDF2-SHA512 on one core.
 */
export const PBKDF2_MAX_ITERATIONS = 10_000_000;
/** The longest derived key accepted, in bytes: SHA-512's output. */
const PBKDF2_MAX_KEY_LENGTH = 64;

/** Each algorithm's digest, and the length of its output in bytes. */
const DIGESTS: ReadonlyMap<string, readonly [digest: string, length: number]> = new Map([
  ['pbkdf2-sha1', ['sha1', 20]],
  ['pbkdf2-sha256', ['sha256', 32]],
  ['pbkdf2-sha512', ['sha512', 64]],
]);
const ITERATIONS = /^[1-9]\d{0,9}$/;
// standard base64, padded, as Go's base64.StdEncoding wants it
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const derive = promisify(pbkdf2);

interface Pbkdf2Hash {
  readonly digest: string;
  readonly iterations: number;
  readonly salt: string;
  readonly expected: Buffer;
}

/** The fields of `stored`, or why it cannot be verified. */
function parse(stored: string): Pbkdf2Hash | string {
  // '' / algorithm / iterations / salt / hash
  const fields = stored.split('$');
  if (fields.length !== 5) return 'is not a valid pbkdf2 hash';
  const [, algorithm = '', iterations = '', salt = '', encoded = ''] = fields;
  const known = DIGESTS.get(algorithm);
  if (!known || !ITERATIONS.test(iterations) || !BASE64.test(encoded)) {
    return 'is not a valid pbkdf2 hash';
  }
  const [digest, digestLength] = known;
  const count = Number(iterations);
  const expected = Buffer.from(encoded, 'base64');
  if (expected.length === 0 || expected.length > PBKDF2_MAX_KEY_LENGTH) {
    return 'is not a valid pbkdf2 hash';
  }
  if (count * Math.ceil(expected.length / digestLength) > PBKDF2_MAX_ITERATIONS) {
    return `asks for more than ${PBKDF2_MAX_ITERATIONS} iterations times blocks of the key`;
  }
  return { digest, iterations: count, salt, expected };
}

/**
 * `$pbkdf2-<sha1|sha256|sha512>$<iterations>$<salt>$<base64 hash>`, as
 * SFTPGo checks it: the salt is used as given (its UTF-8 bytes, not decoded)
 * and the key is as long as the decoded hash.
 */
export const pbkdf2Form: PasswordForm = {
  name: 'pbkdf2',
  prefixes: [...DIGESTS.keys()].map((name) => `$${name}$`),
  problem(stored) {
    const parsed = parse(stored);
    return typeof parsed === 'string' ? parsed : undefined;
  },
  async verify(plain, stored) {
    const parsed = parse(stored);
    if (typeof parsed === 'string') return false;
    const { digest, iterations, salt, expected } = parsed;
    try {
      const key = await derive(
        plain,
        Buffer.from(salt, 'utf8'),
        iterations,
        expected.length,
        digest,
      );
      return equalsInConstantTime(key, expected);
    } catch {
      return false;
    }
  },
};
