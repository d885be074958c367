import { verifyPassword } from '@sftpgo/auth';
import { describe, expect, it } from 'vitest';
import { hasOpenssl, opensslPasswd, SAMPLE_PASSWORDS } from './helpers.js';

// Made with libxcrypt's crypt(3): openssl passwd cuts passwords at 256 bytes.
const LONGEST = '$1$longpass$.Mjyuv./cJmEmROD0Kfey0';

describe('md5crypt', () => {
  it('verifies passwords up to 511 bytes, and refuses longer ones, as libxcrypt', async () => {
    expect(await verifyPassword('x'.repeat(511), LONGEST)).toBe(true);
    expect(await verifyPassword('x'.repeat(510), LONGEST)).toBe(false);
    expect(await verifyPassword('x'.repeat(512), LONGEST)).toBe(false);
  });
});

describe.skipIf(!hasOpenssl)('md5crypt, against openssl passwd', () => {
  for (const [algorithm, prefix] of [
    ['1', '$1$'],
    ['apr1', '$apr1$'],
  ] as const) {
    it(`verifies ${prefix} hashes with random salts and refuses wrong passwords`, async () => {
      const hashes = opensslPasswd(algorithm, SAMPLE_PASSWORDS);
      for (const [i, plain] of SAMPLE_PASSWORDS.entries()) {
        const stored = hashes[i]!;
        expect(stored.startsWith(prefix)).toBe(true);
        expect(await verifyPassword(plain, stored), stored).toBe(true);
        expect(await verifyPassword(`${plain}!`, stored), stored).toBe(false);
        expect(await verifyPassword(plain.slice(1) || 'b', stored), stored).toBe(false);
      }
    });

    it(`verifies ${prefix} hashes with short salts`, async () => {
      const [stored] = opensslPasswd(algorithm, ['password'], 'ab');
      expect(stored).toMatch(/\$ab\$/);
      expect(await verifyPassword('password', stored!)).toBe(true);
      expect(await verifyPassword('passwor', stored!)).toBe(false);
    });
  }

  it('tells $1$ from $apr1$: the magic string is hashed too', async () => {
    const [md5] = opensslPasswd('1', ['password'], 'saltsalt');
    expect(await verifyPassword('password', md5!.replace('$1$', '$apr1$'))).toBe(false);
  });

  it('refuses malformed hashes', async () => {
    const [stored] = opensslPasswd('1', ['password'], 'saltsalt');
    const hash = stored!.slice('$1$saltsalt$'.length);
    for (const value of [
      stored!.slice(0, -1), // truncated
      `${stored}A`, // too long
      `$1$saltsalt9$${hash}`, // a salt over 8 characters
      `$1$salt!alt$${hash}`, // outside the alphabet
      `$1$saltsalt${hash}`, // no separator
      '$1$',
      '$apr1$$',
    ]) {
      expect(await verifyPassword('password', value), value).toBe(false);
    }
  });
});
