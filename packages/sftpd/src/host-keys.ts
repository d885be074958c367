import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { generateEd25519PrivateKey } from './openssh-private-key.js';
import { ssh2 } from './ssh2.js';

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

/**
 * New host keys held in memory only, RSA 3072 and Ed25519, as `loadHostKeys`
 * would generate them: for a server that runs once and writes nothing (a
 * portable share). Clients see new keys at each start.
 */
export function generateHostKeys(): Buffer[] {
  return DEFAULT_HOST_KEYS.map(({ generate }) => Buffer.from(generate()));
}

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

/** A key's fingerprint as OpenSSH prints it: `SHA256:` and unpadded base64 of its public blob. */
export function keyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The type (`ssh-ed25519`, `ssh-rsa`, ...) and fingerprint of each host private key. */
export function hostKeyFingerprints(
  keys: readonly Buffer[],
): { type: string; fingerprint: string }[] {
  return keys.map((key) => {
    const parsed = ssh2.utils.parseKey(key);
    if (parsed instanceof Error) throw new Error(`cannot read a host key: ${parsed.message}`);
    const one = Array.isArray(parsed) ? parsed[0] : parsed;
    return { type: one.type, fingerprint: keyFingerprint(one.getPublicSSH()) };
  });
}
