import { createHash } from 'node:crypto';
import { equalsInConstantTime } from './constant-time.js';
import { CRYPT_MAX_PASSWORD_BYTES, encodeCryptBase64 } from './crypt-format.js';
import type { PasswordForm } from './password-form.js';

// $1$<salt, up to 8>$<22-char hash>, or $apr1$ for Apache's variant
const MD5_CRYPT = /^(\$1\$|\$apr1\$)([./0-9A-Za-z]{0,8})\$([./0-9A-Za-z]{22})$/;

/** The order in which the 16 bytes of the final digest are encoded. */
const ORDER = [0, 6, 12, 1, 7, 13, 2, 8, 14, 3, 9, 15, 4, 10, 5, 11];

const md5 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('md5');
  for (const part of parts) h.update(part);
  return h.digest();
};

/**
 * md5crypt, Poul-Henning Kamp's algorithm of FreeBSD 2.0, with `magic` `$1$`
 * or Apache's `$apr1$` (the same algorithm, another magic string); returns
 * the 22 characters of the hash.
 */
export function md5CryptHash(plain: string, magic: string, salt: string): string {
  const password = Buffer.from(plain, 'utf8');
  const saltBytes = Buffer.from(salt, 'utf8');
  const alternate = md5(password, saltBytes, password);

  const ctx = createHash('md5').update(password).update(magic).update(saltBytes);
  for (let left = password.length; left > 0; left -= 16) {
    ctx.update(alternate.subarray(0, Math.min(left, 16)));
  }
  // Each bit of the length, lowest first: a NUL byte for a 1, the first
  // byte of the password for a 0.
  const nul = Buffer.alloc(1);
  const first = password.subarray(0, 1);
  for (let bits = password.length; bits > 0; bits >>>= 1) {
    ctx.update(bits & 1 ? nul : first);
  }
  let digest = ctx.digest();

  // 1000 rounds, to slow down brute force
  for (let round = 0; round < 1000; round++) {
    const h = createHash('md5');
    h.update(round & 1 ? password : digest);
    if (round % 3 !== 0) h.update(saltBytes);
    if (round % 7 !== 0) h.update(password);
    h.update(round & 1 ? digest : password);
    digest = h.digest();
  }
  return encodeCryptBase64(digest, ORDER);
}

/** `$1$<salt>$<hash>` as in /etc/shadow, and Apache's `$apr1$<salt>$<hash>`. */
export const md5CryptForm: PasswordForm = {
  name: 'md5crypt',
  prefixes: ['$1$', '$apr1$'],
  maxPasswordBytes: CRYPT_MAX_PASSWORD_BYTES,
  problem: (stored) => (MD5_CRYPT.test(stored) ? undefined : 'is not a valid md5crypt hash'),
  async verify(plain, stored) {
    const match = MD5_CRYPT.exec(stored);
    if (!match || Buffer.byteLength(plain) > CRYPT_MAX_PASSWORD_BYTES) return false;
    const [, magic = '', salt = '', expected = ''] = match;
    return equalsInConstantTime(md5CryptHash(plain, magic, salt), expected);
  },
};
