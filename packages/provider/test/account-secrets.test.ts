import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AccountSecrets, type User } from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REFERENCE_SECRET } from './reference-secret.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let keyFile: string;
let secrets: AccountSecrets;

beforeEach(async () => {
  tmp = await makeTempDir();
  keyFile = join(tmp.path, 'conf', 'sftpgo-secrets.key');
  secrets = new AccountSecrets({ keyFile, credentialsDir: join(tmp.path, 'credentials') });
});

afterEach(async () => {
  await tmp.remove();
});

function s3User(access_secret: string): User {
  return {
    username: 'alice',
    filesystem: {
      provider: 1,
      s3config: {
        bucket: 'b',
        key_prefix: '',
        region: 'r',
        access_key: 'k',
        access_secret,
        endpoint: '',
        storage_class: '',
        upload_part_size: 0,
        upload_concurrency: 0,
      },
    },
  } as User;
}

describe('AccountSecrets', () => {
  it('encrypts under a key file it creates with mode 0600, never holding the key', async () => {
    const encrypted = await secrets.encrypt('s3cr3t');
    expect(encrypted).toMatch(/^\$aes\$[0-9a-f]+$/);
    // 12-byte nonce, 6 bytes, 16-byte tag
    expect(encrypted.length).toBe('$aes$'.length + 2 * (12 + 6 + 16));
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(await readFile(keyFile)).toHaveLength(32);
    expect(await secrets.encrypt('s3cr3t')).not.toBe(encrypted);
    expect(await secrets.decrypt(encrypted)).toBe('s3cr3t');
    // another instance, another process: the same file, the same key
    const again = new AccountSecrets({ keyFile, credentialsDir: tmp.path });
    expect(await again.s3Secret(s3User(encrypted))).toBe('s3cr3t');
  });

  it('creates one key when several writers need it at once', async () => {
    const others = [1, 2, 3].map(() => new AccountSecrets({ keyFile, credentialsDir: tmp.path }));
    const sealed = await Promise.all(others.map((s, i) => s.encrypt(`secret-${i}`)));
    for (const [i, value] of sealed.entries()) {
      expect(await secrets.decrypt(value)).toBe(`secret-${i}`);
    }
  });

  it('never creates the key to decrypt, and names the missing file', async () => {
    const err = await secrets.decrypt(`$aes$${'00'.repeat(40)}`).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'unavailable' });
    expect((err as Error).message).toContain(keyFile);
    expect((err as Error).message).toMatch(/does not exist/);
    await expect(stat(keyFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a key file of the wrong size and a secret of another key', async () => {
    const encrypted = await secrets.encrypt('x');
    const otherKey = join(tmp.path, 'other.key');
    const other = new AccountSecrets({ keyFile: otherKey, credentialsDir: tmp.path });
    await other.encrypt('y');
    await expect(other.decrypt(encrypted)).rejects.toThrow(/cannot be decrypted with the key of/);
    await writeFile(otherKey, 'short');
    const reopened = new AccountSecrets({ keyFile: otherKey, credentialsDir: tmp.path });
    await expect(reopened.encrypt('z')).rejects.toThrow(/holds 5 bytes, not 32/);
  });

  it("decrypts the reference server's form with the key it holds", async () => {
    expect(await secrets.decrypt(REFERENCE_SECRET)).toBe('reference-secret-42');
    expect(await secrets.s3Secret(s3User(REFERENCE_SECRET))).toBe('reference-secret-42');
    const tampered = REFERENCE_SECRET.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    await expect(secrets.decrypt(tampered)).rejects.toThrow(/the key stored with it/);
    await expect(stat(keyFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('answers the plain secret of an S3 user only, and the GCS key of a GCS user', async () => {
    expect(await secrets.s3Secret(s3User(''))).toBe('');
    expect(await secrets.s3Secret({ username: 'l', filesystem: { provider: 0 } } as User)).toBe('');
    expect(secrets.gcsCredentialsPath('bob')).toBe(
      join(tmp.path, 'credentials', 'bob_gcs_credentials.json'),
    );
    const gcsUser = (automatic_credentials: 0 | 1) =>
      ({
        username: 'bob',
        filesystem: {
          provider: 2,
          gcsconfig: { bucket: 'g', key_prefix: '', automatic_credentials, storage_class: '' },
        },
      }) as User;
    expect(await secrets.gcsCredentials(gcsUser(1))).toBeUndefined();
    await expect(secrets.gcsCredentials(gcsUser(0))).rejects.toThrow(/none is stored/);
    const staged = await secrets.stageGcsCredentials('bob', '{"type":"service_account"}');
    expect(await secrets.hasGcsCredentials('bob')).toBe(false);
    await staged.commit();
    expect(await secrets.gcsCredentials(gcsUser(0))).toBe('{"type":"service_account"}');
    expect((await stat(join(tmp.path, 'credentials'))).mode & 0o777).toBe(0o700);
  });
});
