import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { equalsInConstantTime } from './constant-time.js';
import { CRYPT_MAX_PASSWORD_BYTES, encodeCryptBase64 } from './crypt-format.js';
import type { PasswordForm } from './password-form.js';

/** The rounds when the stored value names none. */
const DEFAULT_ROUNDS = 5000;
/** The fewest rounds: crypt(3) never writes fewer into a hash. */
const MIN_ROUNDS = 1000;
/**
 * The most rounds accepted: about 1.3 s here, more than passlib's default
 * (656,000); glibc goes up to 999,999,999, which would take half an hour.
 */
export const SHA512_CRYPT_MAX_ROUNDS = 1_000_000;
/** Rounds computed between two turns of the event loop, a few milliseconds. */
const ROUNDS_PER_TURN = 5000;

// $6$[rounds=<n>$]<salt, up to 16>$<86-char hash>
const SHA512_CRYPT =
  /^\$6\$(?:rounds=([1-9]\d{0,9})\$)?([./0-9A-Za-z]{0,16})\$([./0-9A-Za-z]{86})$/;

/** The order in which the 64 bytes of the final digest are encoded. */
const ORDER = Array.from({ length: 21 }, (_, i) => {
  const group = [i, i + 21, i + 42];
  const turn = i % 3; // each group starts one byte further on
  return [...group.slice(turn), ...group.slice(0, turn)];
})
  .flat()
  .concat(63);

const sha512 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha512');
  for (const part of parts) h.update(part);
  return h.digest();
};

/** `digest` repeated, then cut, to `length` bytes. */
function stretch(digest: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let at = 0; at < length; at += digest.length) digest.copy(out, at);
  return out;
}

/**
 * sha512crypt, from Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512"
 * (steps numbered as there); returns the 86 characters of the hash. It
 * yields to the event loop every few thousand rounds, so that a login with
 * many rounds does not stall the other sessions.
 */
export async function sha512CryptHash(
  plain: string,
  salt: string,
  rounds: number,
): Promise<string> {
  const password = Buffer.from(plain, 'utf8');
  const saltBytes = Buffer.from(salt, 'utf8');

  // 4-8: digest B
  const b = sha512(password, saltBytes, password);
  // 1-3, 9-12: digest A
  const ctx = createHash('sha512').update(password).update(saltBytes);
  let left = password.length;
  for (; left > 64; left -= 64) ctx.update(b);
  ctx.update(b.subarray(0, left));
  for (let bits = password.length; bits > 0; bits >>>= 1) {
    ctx.update(bits & 1 ? b : password);
  }
  const a = ctx.digest();
  // 13-16: the P sequence, from digest DP
  const p = stretch(sha512(...Array<Buffer>(password.length).fill(password)), password.length);
  // 17-20: the S sequence, from digest DS
  const s = stretch(sha512(...Array<Buffer>(16 + a[0]!).fill(saltBytes)), saltBytes.length);

  // 21: the rounds
  let c = a;
  for (let round = 0; round < rounds; round++) {
    if (round > 0 && round % ROUNDS_PER_TURN === 0) await nextTurn();
    const h = createHash('sha512');
    h.update(round & 1 ? p : c);
    if (round % 3 !== 0) h.update(s);
    if (round % 7 !== 0) h.update(p);
    h.update(round & 1 ? c : p);
    c = h.digest();
  }
  return encodeCryptBase64(c, ORDER);
}

/** Why `stored` cannot be verified, or undefined when it can. */
function problemOf(stored: string): string | undefined {
  const match = SHA512_CRYPT.exec(stored);
  if (!match) return 'is not a valid sha512crypt hash';
  const rounds = match[1] === undefined ? DEFAULT_ROUNDS : Number(match[1]);
  if (rounds < MIN_ROUNDS || rounds > SHA512_CRYPT_MAX_ROUNDS) {
    return `has ${rounds} rounds, outside the accepted ${MIN_ROUNDS}-${SHA512_CRYPT_MAX_ROUNDS}`;
  }
  return undefined;
}

/**
 * `$6$[rounds=<n>$]<salt>$<hash>` as in /etc/shadow. A number of rounds that
 * crypt(3) would not write (below 1000, above 999,999,999, with a leading
 * zero) never matches, nor does one above {@link SHA512_CRYPT_MAX_ROUNDS}.
 */
export const sha512CryptForm: PasswordForm = {
  name: 'sha512crypt',
  prefixes: ['$6$'],
  maxPasswordBytes: CRYPT_MAX_PASSWORD_BYTES,
  problem: problemOf,
  async verify(plain, stored) {
    const match = SHA512_CRYPT.exec(stored);
    if (!match || problemOf(stored) !== undefined) return false;
    if (Buffer.byteLength(plain) > CRYPT_MAX_PASSWORD_BYTES) return false;
    const [, roundsField, salt = '', expected = ''] = match;
    const rounds = roundsField === undefined ? DEFAULT_ROUNDS : Number(roundsField);
    return equalsInConstantTime(await sha512CryptHash(plain, salt, rounds), expected);
  },
};
