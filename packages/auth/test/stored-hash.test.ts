import { performance } from 'node:perf_hooks';
import * as argon2 from '@node-rs/argon2';
import {
  hashedPasswordProblem,
  hashPassword,
  isHashedPassword,
  verifyLoginPassword,
  verifyPassword,
} from '@sftpgo/auth';
import { describe, expect, it, vi } from 'vitest';

// argon2's verification, watched (and still run).
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof import('@node-rs/argon2')>();
  return { ...real, verify: vi.fn(real.verify) };
});

// Vectors of each form (see the form's own tests), all of the password "secret"
// or of their test's password: only whether they parse matters here.
const VALID = [
  '$2a$14$ajq8Q7fbtFRQvXpdCq7Jcuy.Rx1h/L4J60Otx.gyNLbAYctGMJ9tK',
  '$pbkdf2-sha256$150000$E86a9YMX3zC7$R5J62hsSq+pYw00hLLPKBbcGXmq7fj5+/M0IFoYtZbo=',
  '$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0',
  '$apr1$webtests$ZXsoSuKojOGn5psHX/wnT1',
  '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
  '$argon2id$v=19$m=19456,t=2,p=1$oDqJ3uds6RCNzGfMbdNVfg$gY1JsFDqsiD4cr8fmDSiylWkURDYE/J6BKJ/JHWO4j8',
];

/** Values that start like a hash and can never match, with the form their prefix names. */
const UNUSABLE: readonly [string, RegExp][] = [
  ['$2a$10$invalidhash', /\$2a\$, the prefix of bcrypt hashes, but is not a valid/],
  ['$2y$31$ajq8Q7fbtFRQvXpdCq7Jcuy.Rx1h/L4J60Otx.gyNLbAYctGMJ9tK', /bcrypt.*cost 31/],
  ['$argon2id$garbage', /argon2id hashes, but is not a valid/],
  // a salt of 7 bytes, shorter than argon2 allows
  [
    '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbA$gY1JsFDqsiD4cr8fmDSiylWkURDYE/J6BKJ/JHWO4j8',
    /argon2id/,
  ],
  // unused bits set in the last character of the hash
  ['$argon2id$v=19$m=19456,t=2,p=1$oDqJ3uds6RCNzGfMbdNVfg$aGFzaB', /argon2id/],
  ['$argon2id$v=19$m=4194304,t=1,p=1$oDqJ3uds6RCNzGfMbdNVfg$aGFzaA', /more memory/],
  ['$pbkdf2-sha256$0$salt$aA==', /pbkdf2 hashes, but is not a valid/],
  ['$pbkdf2-sha1$99999999$salt$aA==', /more than 10000000 iterations/],
  ['$1$salt$short', /md5crypt/],
  ['$apr1$', /md5crypt/],
  ['$6$salt$short', /sha512crypt hashes, but is not a valid/],
  [
    '$6$rounds=999$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
    /999 rounds/,
  ],
];

describe('hashedPasswordProblem', () => {
  it('finds none in a hash that is verified, nor in a plain password', async () => {
    for (const value of [...VALID, await hashPassword('x')]) {
      expect(hashedPasswordProblem(value), value).toBeUndefined();
    }
    for (const value of ['change-me', '', '$2x$10$whatever', '$5$salt$hash', 'a$2a$']) {
      expect(isHashedPassword(value)).toBe(false);
      expect(hashedPasswordProblem(value), value).toBeUndefined();
    }
  });

  it('names the form of a value that starts like a hash and can never match', async () => {
    for (const [value, problem] of UNUSABLE) {
      expect(hashedPasswordProblem(value), value).toMatch(problem);
      expect(await verifyPassword('secret', value), value).toBe(false);
    }
  });

  it('never quotes the value', () => {
    for (const [value] of UNUSABLE.filter(([value]) => value.length > 12)) {
      expect(hashedPasswordProblem(value)).not.toContain(value.slice(8));
    }
  });
});

/** The median time of `runs` calls of `work`, in ms. */
async function medianMs(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

describe('verifyLoginPassword', () => {
  it('matches the right password only', async () => {
    const stored = await hashPassword('correct horse');
    expect(await verifyLoginPassword('correct horse', stored)).toBe(true);
    expect(await verifyLoginPassword('correct horsE', stored)).toBe(false);
    expect(await verifyLoginPassword('', stored)).toBe(false);
    // Go's bcrypt test vector
    const bcrypt = '$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga';
    expect(await verifyLoginPassword('allmine', bcrypt)).toBe(true);
  });

  it('refuses every password when there is no usable hash, whatever the password', async () => {
    for (const stored of [undefined, '', 'plain', ...UNUSABLE.map(([value]) => value)]) {
      for (const plain of ['secret', 'x', '\0']) {
        expect(await verifyLoginPassword(plain, stored), `${stored}`).toBe(false);
      }
    }
  });

  it("verifies against a hash of the server's own parameters when there is none to use", async () => {
    const own = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;
    expect(await hashPassword('x')).toMatch(own);
    const verify = vi.mocked(argon2.verify);
    for (const stored of [undefined, '', '$2a$10$invalidhash', '$6$salt$short']) {
      verify.mockClear();
      expect(await verifyLoginPassword('secret', stored)).toBe(false);
      expect(verify, `${stored}`).toHaveBeenCalledTimes(1);
      expect(verify.mock.calls[0]?.[0], `${stored}`).toMatch(own);
    }
    verify.mockClear();
    await verifyLoginPassword('', undefined);
    expect(verify).not.toHaveBeenCalled(); // an empty password: at once, for everyone
  });

  it("costs, without a usable hash, what a hash of the server's own form costs", async () => {
    const stored = await hashPassword('correct horse');
    const real = await medianMs(7, () => verifyLoginPassword('wrong', stored));
    for (const missing of [undefined, '', '$2a$10$invalidhash', '$6$salt$short']) {
      const decoy = await medianMs(7, () => verifyLoginPassword('wrong', missing));
      // the same computation: far from the ~0 ms of an early refusal
      expect(decoy, `${missing}`).toBeGreaterThan(real * 0.3);
      expect(decoy, `${missing}`).toBeLessThan(real * 3);
    }
  });

  it('costs the same for a password longer than a crypt form checks', async () => {
    const stored = VALID[4]!; // sha512crypt, 5000 rounds: a few ms
    const long = 'x'.repeat(600);
    const own = await hashPassword('y');
    const real = await medianMs(5, () => verifyLoginPassword('x', own));
    const refused = await medianMs(5, () => verifyLoginPassword(long, stored));
    expect(refused).toBeGreaterThan(real * 0.3);
  });
});
