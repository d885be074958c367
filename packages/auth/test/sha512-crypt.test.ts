import { performance } from 'node:perf_hooks';
import { verifyPassword } from '@sftpgo/auth';
import { describe, expect, it } from 'vitest';
import { expectQuickRefusal, hasOpenssl, opensslPasswd, SAMPLE_PASSWORDS } from './helpers.js';

// Test vectors of Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512".
const DEFAULT_ROUNDS = [
  'Hello world!',
  '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
] as const;
const ROUNDS_5000 = [
  'This is just a test',
  '$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0',
] as const;
const ROUNDS_10000 = [
  'Hello world!',
  '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
] as const;
const ROUNDS_1400_LONG = [
  'a very much longer text to encrypt.  This one even stretches over morethan one line.',
  '$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1',
] as const;
// Made with libxcrypt's crypt(3): openssl passwd cuts passwords at 256 bytes.
const LONGEST = [
  'x'.repeat(511),
  '$6$rounds=1000$longpassword$UIONZrrdtSIlQPcagJh9BErXbrfpj7.fUnZTE5CuDfwqYBD2BMiBqZwQbUkrVYjCwahpYrQcXp1geqhwgwgSn1',
] as const;

describe('sha512crypt', () => {
  it("verifies the specification's vectors, with and without rounds=", async () => {
    for (const [plain, stored] of [DEFAULT_ROUNDS, ROUNDS_5000, ROUNDS_10000, ROUNDS_1400_LONG]) {
      expect(await verifyPassword(plain, stored), stored).toBe(true);
      expect(await verifyPassword(plain.toUpperCase(), stored), stored).toBe(false);
      expect(await verifyPassword(`${plain} `, stored), stored).toBe(false);
    }
  });

  it('takes rounds=5000, written out, as the default it is', async () => {
    const [plain, stored] = DEFAULT_ROUNDS;
    expect(await verifyPassword(plain, stored.replace('$6$', '$6$rounds=5000$'))).toBe(true);
    expect(await verifyPassword(plain, stored.replace('$6$', '$6$rounds=5001$'))).toBe(false);
  });

  it('refuses malformed hashes', async () => {
    const [plain, stored] = ROUNDS_10000;
    for (const value of [
      stored.slice(0, -1), // truncated
      `${stored}A`, // too long
      stored.replace('saltstringsaltst$', 'saltstringsaltstr$'), // a salt over 16 characters
      stored.replace('saltstring', 'salt!tring'), // outside the alphabet
      stored.replace('rounds=10000', 'rounds=010000'), // not what crypt(3) writes
      stored.replace('rounds=10000', 'rounds=ten'),
      stored.replace('rounds=10000', 'rounds=999'), // below the minimum of 1000
      stored.replace('rounds=10000', 'rounds='),
      stored.replace('rounds=10000$', ''), // another number of rounds
      '$6$',
      '$6$$',
    ]) {
      expect(await verifyPassword(plain, value), value).toBe(false);
    }
  });

  it('verifies passwords up to 511 bytes, and refuses longer ones at once, as libxcrypt', async () => {
    const [plain, stored] = LONGEST;
    expect(await verifyPassword(plain, stored)).toBe(true);
    expect(await verifyPassword(plain.slice(1), stored)).toBe(false);
    // sha512crypt's work grows with the square of the length: never computed
    const slow = stored.replace('rounds=1000', 'rounds=1000000');
    await expectQuickRefusal(`${plain}x`, slow);
    await expectQuickRefusal('x'.repeat(100_000), slow);
  });

  it('refuses absurd numbers of rounds at once', async () => {
    const [plain, stored] = ROUNDS_10000;
    await expectQuickRefusal(plain, stored.replace('rounds=10000', 'rounds=1000000000000'));
    await expectQuickRefusal(plain, stored.replace('rounds=10000', 'rounds=999999999'));
    await expectQuickRefusal(plain, stored.replace('rounds=10000', 'rounds=1000001'));
  });
});

describe('sha512crypt at the highest number of rounds', () => {
  it('computes it without stalling the event loop', async () => {
    const [plain, stored] = ROUNDS_10000;
    let last = performance.now();
    let longestGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    try {
      const highest = stored.replace('rounds=10000', 'rounds=1000000');
      expect(await verifyPassword(plain, highest)).toBe(false);
    } finally {
      clearInterval(timer);
    }
    // Computed in one go, the million rounds would hold the loop for seconds;
    // a loaded machine alone can delay a timer by a few hundred milliseconds.
    expect(longestGap).toBeLessThan(1000);
  });
});

describe.skipIf(!hasOpenssl)('sha512crypt, against openssl passwd', () => {
  it('verifies hashes with random salts and refuses wrong passwords', async () => {
    const hashes = opensslPasswd('6', SAMPLE_PASSWORDS);
    for (const [i, plain] of SAMPLE_PASSWORDS.entries()) {
      const stored = hashes[i]!;
      expect(stored).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$/);
      expect(await verifyPassword(plain, stored), stored).toBe(true);
      expect(await verifyPassword(`${plain}!`, stored), stored).toBe(false);
      expect(await verifyPassword(plain.slice(1) || 'b', stored), stored).toBe(false);
    }
  });
});
