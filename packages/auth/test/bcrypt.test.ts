import { verifyPassword } from '@sftpgo/auth';
import { describe, expect, it } from 'vitest';
import { expectQuickRefusal } from './helpers.js';

// The spec's example: "secret" with cost 14.
const SPEC_EXAMPLE = '$2a$14$ajq8Q7fbtFRQvXpdCq7Jcuy.Rx1h/L4J60Otx.gyNLbAYctGMJ9tK';
// Go's own test vector (x/crypto/bcrypt), and PHP's manual for password_verify.
const GO_VECTOR = '$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga';
const PHP_VECTOR = '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a';

describe('bcrypt', () => {
  it("verifies the spec's example and refuses a wrong password", async () => {
    expect(await verifyPassword('secret', SPEC_EXAMPLE)).toBe(true);
    expect(await verifyPassword('Secret', SPEC_EXAMPLE)).toBe(false);
  });

  it('verifies $2a$, $2b$ and $2y$, the same algorithm', async () => {
    expect(await verifyPassword('allmine', GO_VECTOR)).toBe(true);
    expect(await verifyPassword('allmine', GO_VECTOR.replace('$2a$', '$2b$'))).toBe(true);
    expect(await verifyPassword('rasmuslerdorf', PHP_VECTOR)).toBe(true);
    expect(await verifyPassword('rasmuslerdorF', PHP_VECTOR)).toBe(false);
    expect(await verifyPassword('allmine', GO_VECTOR.replace('$2a$', '$2x$'))).toBe(false);
  });

  it('refuses malformed hashes', async () => {
    for (const stored of [
      GO_VECTOR.slice(0, -1), // truncated
      `${GO_VECTOR}a`, // too long
      GO_VECTOR.replace('$10$', '$1a$'), // cost not a number
      GO_VECTOR.replace('$10$', '$03$'), // below the minimum cost
      GO_VECTOR.replace('Xajj', 'X!jj'), // outside the alphabet
      GO_VECTOR.slice(0, 29), // the salt alone
      '$2a$',
    ]) {
      expect(await verifyPassword('allmine', stored), stored).toBe(false);
    }
  });

  it('refuses costs too high to compute, at once', async () => {
    await expectQuickRefusal('allmine', GO_VECTOR.replace('$10$', '$31$'));
    await expectQuickRefusal('allmine', GO_VECTOR.replace('$10$', '$17$'));
    await expectQuickRefusal('allmine', GO_VECTOR.replace('$10$', '$99$'));
  });
});
