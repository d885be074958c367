import { hash, verify } from '@node-rs/argon2';
import type { PasswordForm } from './password-form.js';

/** `Algorithm.Argon2id` of @node-rs/argon2, a const enum that isolated modules cannot import. */
const ARGON2ID = 2;

/** The parameters of {@link hashArgon2id}: OWASP's recommendation of 19 MiB, 2 passes, 1 lane. */
const DEFAULT_COST = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** The most memory a stored hash may ask for, in KiB: 2 GiB, RFC 9106's largest recommendation. */
export const ARGON2ID_MAX_MEMORY = 2 ** 21;
/** The most work, memory (KiB) times passes: 2 GiB twice, or 19 MiB 220 times. */
export const ARGON2ID_MAX_WORK = 2 ** 22;
/** The most lanes a stored hash may ask for. */
export const ARGON2ID_MAX_PARALLELISM = 64;

// $argon2id$[v=<16|19>$]m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>, salt and
// hash in unpadded base64
const PHC_STRING =
  /^\$argon2id\$(?:v=(?:16|19)\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,10})\$([^$]*)\$([^$]*)$/;
/** argon2's shortest salt and hash, in bytes (RFC 9106, section 3.1). */
const MIN_SALT_BYTES = 8;
const MIN_HASH_BYTES = 4;

/**
 * Whether `text` is the unpadded base64 of at least `min` bytes, written as
 * an encoder writes it (the unused bits of the last character zero): the
 * argon2 library refuses any other spelling.
 */
function isBase64Of(text: string, min: number): boolean {
  if (!/^[A-Za-z0-9+/]+$/.test(text)) return false;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length >= min && bytes.toString('base64').replace(/=+$/, '') === text;
}

/** Hashes with argon2id and the OWASP-recommended parameters: 19 MiB, 2 passes, 1 lane. */
export function hashArgon2id(plain: string): Promise<string> {
  return hash(plain, { algorithm: ARGON2ID, ...DEFAULT_COST });
}

/**
 * An argon2id hash of a random password no one knows, with the parameters of
 * {@link hashArgon2id}: verifying a password against it costs what verifying
 * against a hash the server made costs.
 */
export const ARGON2ID_DECOY =
  '$argon2id$v=19$m=19456,t=2,p=1$oDqJ3uds6RCNzGfMbdNVfg$gY1JsFDqsiD4cr8fmDSiylWkURDYE/J6BKJ/JHWO4j8';

/** Why `stored` cannot be verified, or undefined when it can. */
function problemOf(stored: string): string | undefined {
  const match = PHC_STRING.exec(stored);
  if (!match) return 'is not a valid argon2id hash';
  const [memory, passes, lanes] = match.slice(1, 4).map(Number) as [number, number, number];
  const [salt = '', digest = ''] = match.slice(4);
  if (passes < 1 || lanes < 1 || memory < 8 * lanes) return 'is not a valid argon2id hash';
  if (!isBase64Of(salt, MIN_SALT_BYTES) || !isBase64Of(digest, MIN_HASH_BYTES)) {
    return 'is not a valid argon2id hash';
  }
  if (
    memory > ARGON2ID_MAX_MEMORY ||
    memory * passes > ARGON2ID_MAX_WORK ||
    lanes > ARGON2ID_MAX_PARALLELISM
  ) {
    return 'asks for more memory, passes or lanes than a login can afford';
  }
  return undefined;
}

/** `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`, in the PHC string format. */
export const argon2idForm: PasswordForm = {
  name: 'argon2id',
  prefixes: ['$argon2id$'],
  problem: problemOf,
  async verify(plain, stored) {
    if (problemOf(stored) !== undefined) return false;
    try {
      return await verify(stored, plain);
    } catch {
      return false; // what the library refuses beyond the checks above
    }
  },
};
