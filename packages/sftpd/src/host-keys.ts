import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

/** The host key used, and generated when missing, if none is configured. */
export const DEFAULT_HOST_KEY = 'id_rsa';

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Reads the host private keys, paths relative to `configDir`. With no key
 * configured, `id_rsa` in `configDir` is used, generated (RSA 3072, mode
 * 0600) when it does not exist.
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
  const path = resolvePath(DEFAULT_HOST_KEY);
  try {
    return [await readFile(path)];
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 3072,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  // 'wx': another process that generated it first wins, and its key is used.
  await writeFile(path, privateKey, { mode: 0o600, flag: 'wx' }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  });
  return [await readFile(path)];
}
