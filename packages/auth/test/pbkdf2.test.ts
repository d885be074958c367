import { pbkdf2Sync } from 'node:crypto';
import { verifyPassword } from '@sftpgo/auth';
import { describe, expect, it } from 'vitest';
import { expectQuickRefusal } from './helpers.js';

// The spec's example: "password", 150000 iterations, salt E86a9YMX3zC7.
const SPEC_EXAMPLE =
  '$pbkdf2-sha256$150000$E86a9YMX3zC7$R5J62hsSq+pYw00hLLPKBbcGXmq7fj5+/M0IFoYtZbo=';

/** The stored form, made with node:crypto, the key as long as the digest. */
function stored(
  algo: 'sha1' | 'sha256' | 'sha512',
  plain: string,
  iterations: number,
  salt: string,
) {
  const length = { sha1: 20, sha256: 32, sha512: 64 }[algo];
  const key = pbkdf2Sync(plain, salt, iterations, length, algo).toString('base64');
  return `$pbkdf2-${algo}$${iterations}$${salt}$${key}`;
}

describe('pbkdf2', () => {
  it("verifies the spec's example and refuses a wrong password", async () => {
    expect(await verifyPassword('password', SPEC_EXAMPLE)).toBe(true);
    expect(await verifyPassword('Password', SPEC_EXAMPLE)).toBe(false);
  });

  it('verifies sha1, sha256 and sha512, and refuses a wrong password with each', async () => {
    for (const algo of ['sha1', 'sha256', 'sha512'] as const) {
      const hash = stored(algo, 'pässwörd', 1000, 'sél');
      expect(await verifyPassword('pässwörd', hash), hash).toBe(true);
      expect(await verifyPassword('passwörd', hash), hash).toBe(false);
    }
  });

  it('derives keys longer than the digest, as ASP.NET Identity does with SHA-1', async () => {
    const key = pbkdf2Sync('pw', 'salt', 1000, 32, 'sha1').toString('base64');
    expect(await verifyPassword('pw', `$pbkdf2-sha1$1000$salt$${key}`)).toBe(true);
    expect(await verifyPassword('pW', `$pbkdf2-sha1$1000$salt$${key}`)).toBe(false);
  });

  it('uses the salt as given, and a key as long as the stored hash', async () => {
    const short = pbkdf2Sync('pw', 'c2FsdA==', 10, 16, 'sha256').toString('base64');
    expect(await verifyPassword('pw', `$pbkdf2-sha256$10$c2FsdA==$${short}`)).toBe(true);
    const decoded = pbkdf2Sync('pw', 'salt', 10, 16, 'sha256').toString('base64');
    expect(await verifyPassword('pw', `$pbkdf2-sha256$10$c2FsdA==$${decoded}`)).toBe(false);
  });

  it('refuses malformed hashes', async () => {
    const [head, hash] = [SPEC_EXAMPLE.slice(0, SPEC_EXAMPLE.lastIndexOf('$') + 1), 'R5J62hs'];
    for (const value of [
      SPEC_EXAMPLE.slice(0, -1), // truncated: no longer valid base64
      SPEC_EXAMPLE.slice(0, -2), // truncated, padding lost
      `${head}${hash}`, // bad base64 padding
      `${head}R5J6!hsS`, // outside the base64 alphabet
      `${head}`, // no hash
      SPEC_EXAMPLE.replace('150000', '15O000'),
      SPEC_EXAMPLE.replace('150000', '0'),
      SPEC_EXAMPLE.replace('150000', '-1'),
      SPEC_EXAMPLE.replace('150000', ''),
      SPEC_EXAMPLE.replace('sha256', 'sha384'),
      `${SPEC_EXAMPLE}$`, // a field too many
      '$pbkdf2-sha256$150000$E86a9YMX3zC7', // a field too few
      `$pbkdf2-sha256$1$s$${Buffer.alloc(65).toString('base64')}`, // a key over 64 bytes
    ]) {
      expect(await verifyPassword('password', value), value).toBe(false);
    }
  });

  it('refuses absurd iteration counts at once', async () => {
    await expectQuickRefusal('password', SPEC_EXAMPLE.replace('150000', '1000000000000'));
    await expectQuickRefusal('password', SPEC_EXAMPLE.replace('150000', '10000001'));
    await expectQuickRefusal('password', SPEC_EXAMPLE.replace('150000', '9'.repeat(400)));
    // a 64-byte key takes four blocks of SHA-1: four times the work
    const long = Buffer.alloc(64).toString('base64');
    await expectQuickRefusal('password', `$pbkdf2-sha1$2500001$salt$${long}`);
  });
});
