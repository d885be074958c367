import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** The SQLite schema scripts of the repository. */
export const migrationsDir = fileURLToPath(new URL('../../../sql/sqlite/', import.meta.url));

/** A new RSA key in the PKCS#1 PEM form ssh2 reads: host keys and users' keys. */
export function rsaPrivateKey(): string {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
  }).privateKey;
}

/** One host key for the test servers of a file. */
export const hostKey = Buffer.from(rsaPrivateKey());
