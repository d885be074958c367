import { generateKeyPairSync } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';

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

/** An ssh2 client logged in on 127.0.0.1:`port`; `config` gives the credentials. */
export function connectClient(port: number, config: ssh2.ConnectConfig): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('ready', () => resolve(client)).once('error', reject);
    client.connect({ host: '127.0.0.1', port, readyTimeout: 10_000, ...config });
  });
}

/** The SFTP session of a logged-in client. */
export function sftpOf(client: ssh2.Client): Promise<ssh2.SFTPWrapper> {
  return new Promise((resolve, reject) =>
    client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))),
  );
}

/** An executable shell script in `dir`, for the external programs of logins. */
export async function writeScript(dir: string, body: string): Promise<string> {
  const path = join(dir, `prog-${Math.random().toString(36).slice(2)}.sh`);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}
