import { hash } from 'bcryptjs';
import { equalsInConstantTime } from './constant-time.js';
import type { PasswordForm } from './password-form.js';

/**
 * The highest cost accepted: 2^16 rounds, about 4 s in pure JavaScript here
 * (cost 14, the spec's example, takes about 1 s). Go accepts up to 31, which
 * would take days: a stored hash asking for more than this never matches.
 */
export const BCRYPT_MAX_COST = 16;
const BCRYPT_MIN_COST = 4;

// $2<a|b|y>$<2-digit cost>$<22-char salt><31-char hash>
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{22}[./A-Za-z0-9]{31}$/;
const SETTING_LENGTH = 29; // up to and including the salt

/** Why `stored` cannot be verified, or undefined when it can. */
function problemOf(stored: string): string | undefined {
  const match = BCRYPT.exec(stored);
  if (!match) return 'is not a valid bcrypt hash';
  const cost = Number(match[1]);
  if (cost < BCRYPT_MIN_COST || cost > BCRYPT_MAX_COST) {
    return `has cost ${cost}, outside the accepted ${BCRYPT_MIN_COST}-${BCRYPT_MAX_COST}`;
  }
  return undefined;
}

/**
 * bcrypt, as golang.org/x/crypto/bcrypt stores it. The three minor versions
 * name the same algorithm there and in bcryptjs (neither reproduces the old
 * sign-extension bug of `$2x$`). Only the hash part is compared, as Go does,
 * so that a salt whose last character carries unused bits still matches.
 */
export const bcryptForm: PasswordForm = {
  name: 'bcrypt',
  prefixes: ['$2a$', '$2b$', '$2y$'],
  problem: problemOf,
  async verify(plain, stored) {
    if (problemOf(stored) !== undefined) return false;
    try {
      const computed = await hash(plain, stored.slice(0, SETTING_LENGTH));
      return equalsInConstantTime(computed.slice(SETTING_LENGTH), stored.slice(SETTING_LENGTH));
    } catch {
      return false;
    }
  },
};
