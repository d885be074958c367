import { hash, verify } from '@node-rs/argon2';
import type { PasswordForm } from './password-form.js';

/** `Algorithm.Argon2id` of @node-rs/argon2, a const enum that isolated modules cannot import. */
const ARGON2ID = 2;

/** The most memory a stored hash may ask for, in KiB: 2 GiB, RFC 9106's largest recommendation. */
export const ARGON2ID_MAX_MEMORY = 2 ** 21;
/** The most work, memory (KiB) times passes: 2 GiB twice, or 19 MiB 220 times. */
export const ARGON2ID_MAX_WORK = 2 ** 22;
/** The most lanes a stored hash may ask for. */
export const ARGON2ID_MAX_PARALLELISM = 64;

// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>, the version optional
const PARAMETERS = /^\$argon2id\$(?:v=\d+\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,10})[$,]/;

/** Hashes with argon2id and the OWASP-recommended parameters: 19 MiB, 2 passes, 1 lane. */
export function hashArgon2id(plain: string): Promise<string> {
  return hash(plain, { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 });
}

/** Whether the cost `stored` asks for is one a login can afford. */
function isAffordable(stored: string): boolean {
  const match = PARAMETERS.exec(stored);
  if (!match) return false;
  const [memory, passes, lanes] = match.slice(1).map(Number) as [number, number, number];
  return (
    memory <= ARGON2ID_MAX_MEMORY &&
    memory * passes <= ARGON2ID_MAX_WORK &&
    lanes <= ARGON2ID_MAX_PARALLELISM
  );
}

/** `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`, in the PHC string format. */
export const argon2idForm: PasswordForm = {
  prefixes: ['$argon2id$'],
  async verify(plain, stored) {
    if (!isAffordable(stored)) return false;
    try {
      return await verify(stored, plain);
    } catch {
      return false; // a malformed stored hash
    }
  },
};
