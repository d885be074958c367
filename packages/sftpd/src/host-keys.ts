import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { generateEd25519PrivateKey } from './openssh-private-key.js';

/** The host keys used, and generated when missing, if none is configured. */
const DEFAULT_HOST_KEYS = [
  {
    file: 'id_rsa',
    generate: () =>
      generateKeyPairSync('rsa', {
        modulusLength: 3072,
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
        publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
      }).privateKey,
  },
  { file: 'id_ed25519', generate: () => generateEd25519PrivateKey('sftpgo host key') },
] as const;

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Reads the host private keys, paths relative to `configDir`. With no key
 * configured, `id_rsa` in `configDir` is used, generated (RSA 3072, mode
 * 0600) when it does not exist, and `id_ed25519` beside it likewise.
 */
export async function loadHostKeys(
  configDir: string,
  keyPaths: readonly string[],
): Promise<Buffer[]> {
  const resolvePath = (p: string) => (isAbsolute(p) ? p : join(configDir, p));
  if (keyPaths.length > 0) {
    return Promise.all(
      keyPaths.map(async (p) => {
        try {
          return await readFile(resolvePath(p));
        } catch (err) {
          throw new Error(`cannot read host key ${JSON.stringify(p)}: ${(err as Error).message}`, {
            cause: err,
          });
        }
      }),
    );
  }
  return Promise.all(
    DEFAULT_HOST_KEYS.map(({ file, generate }) => readOrCreate(resolvePath(file), generate)),
  );
}

/** Reads a key file, first writing a new key there (mode 0600) if it does not exist. */
async function readOrCreate(path: string, generate: () => string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  // 'wx': another process that generated it first wins, and its key is used.
  await writeFile(path, generate(), { mode: 0o600, flag: 'wx' }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  });
  return readFile(path);
}
